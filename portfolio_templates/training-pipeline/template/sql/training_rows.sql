-- The training rows, as the pipeline reads them when `data.source: sqlite` (configs/train.yaml).
-- It runs against the `penguins` table of a SQLite database (`make warehouse` builds one from
-- the data that ships with the palmerpenguins package; point `data.sqlite_path` at your own).
--
-- Why SQL and not pandas: in a company the rows live in a database, and the extraction is the
-- part of a pipeline that other people read and review. Keep it declarative and testable:
--   * name every column (no SELECT *), so a new column upstream cannot reach the model;
--   * normalise labels here, once (`sex` arrives as 'male'/'MALE'/'Male' from some sources);
--   * drop rows without a label (they cannot be learned from), but keep rows with missing
--     features: imputing them is the model pipeline's job, and the data contract counts them;
--   * order by a stable key, so the same data gives the same split.
SELECT
    species,
    island,
    CASE WHEN sex IS NULL THEN NULL ELSE lower(trim(sex)) END AS sex,
    bill_length_mm,
    bill_depth_mm,
    flipper_length_mm,
    body_mass_g
FROM penguins
WHERE species IS NOT NULL
ORDER BY rowid;

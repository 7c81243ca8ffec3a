"""Request and response contracts. Validation happens here, before the model sees anything."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

MAX_BATCH = 256

EXAMPLE: dict[str, JsonValue] = {
    "island": "Biscoe",
    "bill_length_mm": 47.5,
    "bill_depth_mm": 15.0,
    "flipper_length_mm": 218.0,
    "body_mass_g": 4950.0,
    "sex": "female",
}


class PenguinFeatures(BaseModel):
    """One penguin's measurements. Ranges are physically plausible values, not data limits."""

    model_config = ConfigDict(
        extra="forbid", allow_inf_nan=False, json_schema_extra={"examples": [EXAMPLE]}
    )

    island: Literal["Biscoe", "Dream", "Torgersen"]
    bill_length_mm: float = Field(ge=25, le=70, description="Bill (culmen) length in mm")
    bill_depth_mm: float = Field(ge=10, le=25, description="Bill (culmen) depth in mm")
    flipper_length_mm: float = Field(ge=160, le=240, description="Flipper length in mm")
    body_mass_g: float = Field(ge=2500, le=6500, description="Body mass in grams")
    sex: Literal["male", "female"] | None = Field(default=None, description="Unknown: omit")


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instances: list[PenguinFeatures] = Field(min_length=1, max_length=MAX_BATCH)


class Prediction(BaseModel):
    species: str
    probabilities: dict[str, float]


class PredictResponse(Prediction):
    model_version: str


class BatchResponse(BaseModel):
    predictions: list[Prediction]
    model_version: str


class Health(BaseModel):
    status: Literal["ok"]
    model_version: str


class Metadata(BaseModel):
    model_version: str
    created_at: str
    classes: list[str]
    features: list[str]
    metrics: dict[str, float]


class ErrorMessage(BaseModel):
    detail: str

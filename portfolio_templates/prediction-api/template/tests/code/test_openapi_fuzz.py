"""Property-based tests generated from the OpenAPI spec by schemathesis.

Valid and deliberately invalid requests for every operation: none may cause a 5xx.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

OPERATIONS = [
    ("/health", "GET"),
    ("/metadata", "GET"),
    ("/predict", "POST"),
    ("/predict/batch", "POST"),
]


def test_every_operation_is_fuzzed(api_schema):
    documented = {(op.ok().path, op.ok().method.upper()) for op in api_schema.get_all_operations()}
    assert documented == set(OPERATIONS)


CASES = [
    pytest.param(path, method, mode, id=f"{method} {path} {mode.value}")
    for path, method in OPERATIONS
    # GET operations take no input, so there is nothing invalid to send them.
    for mode in ([GenerationMode.POSITIVE] if method == "GET" else list(GenerationMode))
]


@pytest.mark.parametrize(("path", "method", "mode"), CASES)
def test_no_server_errors(api_schema, path, method, mode):
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=50, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def generated_request_never_fails_server_side(case):
        case.call_and_validate(checks=[not_a_server_error])

    generated_request_never_fails_server_side()

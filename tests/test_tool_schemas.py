"""The tool definitions the model sees: Kubernetes-shaped arguments named by their kind instead of spelled out, and
the same checking of what the model sends as before."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from agent.tools import definitions, get

pytestmark = pytest.mark.unit


def test_kubernetes_objects_are_named_by_their_kind_and_not_spelled_out() -> None:
    schema = get("patch_deployment").schema()["input_schema"]
    props = schema["properties"]
    assert props["readiness_probe"] == {"type": "object", "description": "a Kubernetes Probe"}
    assert (
        props["resources"]["type"] == "object"
        and "a Kubernetes ResourceRequirements" in props["resources"]["description"]
    )
    assert props["tolerations"]["items"] == {"type": "object", "description": "a Kubernetes Toleration"}
    assert props["env_from"]["items"]["description"] == "a Kubernetes EnvFromSource"
    # the project's own spelling (value_from) stays spelled out
    assert set(schema["$defs"]) == {"EnvVar"} and "value_from" in schema["$defs"]["EnvVar"]["properties"]
    text = json.dumps(definitions())
    assert "x-kubernetes" not in text and "HTTPGetAction" not in text and '"title"' not in text
    assert '"additionalProperties": false' not in text  # the input models refuse unknown fields themselves


def test_every_reference_left_points_at_a_definition_that_is_there() -> None:
    for tool in definitions():
        schema = tool["input_schema"]
        text = json.dumps(schema)
        for name in schema.get("$defs", {}):
            assert f'"#/$defs/{name}"' in text, (tool["name"], name)
        for ref in [part.split('"')[0] for part in text.split('"$ref": "#/$defs/')[1:]]:
            assert ref in schema["$defs"], (tool["name"], ref)


def test_the_fields_are_still_checked_when_the_model_sends_them() -> None:
    patch = get("patch_deployment")
    ok = patch.input_model.model_validate({"deployment": "web", "readiness_probe": {"httpGet": {"path": "/health"}}})
    assert ok.model_dump(exclude_none=True)["readiness_probe"] == {"httpGet": {"path": "/health"}}
    with pytest.raises(ValidationError):
        patch.input_model.model_validate({"deployment": "web", "readiness_probe": {"httpGett": {"path": "/health"}}})
    with pytest.raises(ValidationError):
        patch.input_model.model_validate({"deployment": "web", "readiness_probe": {"periodSeconds": 0}})
    with pytest.raises(ValidationError):
        patch.input_model.model_validate({"deployment": "web", "tolerations": [{"operator": "Maybe"}]})
    with pytest.raises(ValidationError):  # not in the schema the model sees any more, still refused
        patch.input_model.model_validate({"deployment": "web", "replica": 2})

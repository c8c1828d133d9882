"""The run store: a directory with a JSON manifest and Parquet shards (see docs/run-format.md)."""

from boundary.store.manifest import (
    ImportRecord,
    JudgeRecord,
    Manifest,
    ModelInfo,
    SamplingRecord,
    StageRecord,
    TemplateRecord,
    manifest_schema,
)
from boundary.store.run import Run
from boundary.store.schema import FORMAT_VERSION, STATUSES

__all__ = ["Run", "FORMAT_VERSION", "STATUSES", "Manifest", "SamplingRecord", "TemplateRecord", "ModelInfo",
           "ImportRecord", "StageRecord", "JudgeRecord", "manifest_schema"]

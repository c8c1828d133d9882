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
from boundary.store.lock import RunLockedError
from boundary.store.run import Run, ShardIndex, StoredChunks, unit_name
from boundary.store.schema import FORMAT_VERSION, STATUSES

__all__ = ["FORMAT_VERSION", "STATUSES", "ImportRecord", "JudgeRecord", "Manifest", "ModelInfo", "Run",
           "RunLockedError", "SamplingRecord", "ShardIndex", "StageRecord", "StoredChunks", "TemplateRecord",
           "manifest_schema",
           "unit_name"]

"""The typed, versioned ``manifest.json`` of a run (docs/run-format.md).

The manifest says what a run is: its format and version, the spec it was made from, its models
and benchmarks, what was imported, the sampling record of every sampled model, per-model facts
of sweeps, the judges and the completed stages. :class:`Manifest` is its one definition; every
writer goes through it, so a field of the wrong type fails before it reaches the disk, and
:func:`manifest_schema` derives the JSON Schema from it.

Reading accepts every manifest written since format version 1: keys that are missing take their
default, keys this version does not know are kept (``model_extra``) and written back unchanged.
A manifest is dumped with only the keys that were read or set (``exclude_unset``), so a
read-and-write round trip never adds or drops a key.

>>> m = parse_manifest({"format": "boundary-run", "version": 1, "models": ["base"], "note": "kept"})
>>> m.models, m.sampling, m.model_extra
(['base'], {}, {'note': 'kept'})
>>> sorted(manifest_dict(m))
['format', 'models', 'note', 'version']
>>> parse_manifest({"format": "boundary-run", "models": "base"}, where="RUN/manifest.json")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
boundary.errors.StoreError: RUN/manifest.json: field 'models' is invalid: Input should be a valid list (got 'base')...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from boundary.errors import StoreError
from boundary.store.schema import FORMAT_NAME, FORMAT_VERSION


class _Record(BaseModel):
    """A frozen manifest record that keeps keys it does not know."""

    model_config = ConfigDict(frozen=True, extra="allow", use_attribute_docstrings=True)


class TemplateRecord(_Record):
    """The prompt template a model's samples were drawn with (``sampling.<model>.template``)."""

    name: str | None = None
    """Template name (``"qwen-boxed"``, ``"chat (server)"``, ...)."""
    kind: str | None = None
    """``"text"`` (a format string) or ``"chat"`` (the tokenizer's chat template)."""
    fingerprint: str | None = None
    """Hash of everything that shapes the prompt; ``"server"`` when an API server formats the chat."""
    text: str | None = None
    """The template text (text templates)."""
    source: str | None = None
    """Where the template came from (a name, a file)."""


class SamplingRecord(_Record):
    """How one model's samples were drawn (``sampling.<model>``); a resume must match it."""

    fingerprint: str | None = None
    """Fingerprint of the sampling parameters."""
    seed: int | None = None
    """The run's base seed (chunk seeds derive from it)."""
    params: dict[str, Any] = Field(default_factory=dict)
    """The sampling parameters, all but ``n`` (temperature, top_p, max_tokens, stop, ...)."""
    n: int = 0
    """The largest number of samples per problem ever requested for this model."""
    template: TemplateRecord = Field(default_factory=TemplateRecord)
    engine: dict[str, Any] = Field(default_factory=dict)
    """The engine's own description: backend, version, dtype, parallelism."""
    model: dict[str, Any] = Field(default_factory=dict)
    """The model's spec entry (name, backend, path, ...), enough to rebuild the engine."""


class ModelInfo(_Record):
    """Facts about one model of a sweep (``model_info.<model>``); absent facts are unknown."""

    group: str | None = None
    """The spec entry a checkpoint or temperature expansion came from."""
    step: int | None = None
    """Training step of a checkpoint."""
    temperature: float | None = None
    """Sampling temperature."""
    path: str | None = None
    """Checkpoint path."""


class ImportRecord(_Record):
    """One import into the run (``imports[i]``)."""

    kind: str
    """The format: ``"counts"`` (per-problem counts), ``"paper-jsonl"``, ``"lm-eval"``, … (docs/import.md)."""
    file: str | None = None
    """Absolute path of the imported file."""
    sha256: str | None = None
    rows: int | None = None
    """Rows of a counts file."""
    model: str | None = None
    benchmark: str | None = None
    problems: int | None = None
    samples: int | None = None


class StageRecord(_Record):
    """A completed stage (``stages.<name>``): when, and what it wrote. Which fields a stage sets:

    ``sample``: samples; ``verify``: verifiers, verified, complete, unresolved_errors (older
    runs: verifier, verified);
    ``guess``: run, threshold; ``judge``: judge, judged; ``perplexity:<scorer>``: engine, scored;
    ``analyze``: summary; ``report``: index.
    """

    completed: str | None = None
    """UTC timestamp (ISO 8601) of the stage's last completion."""
    samples: int | None = None
    """sample: samples drawn in that invocation."""
    verifiers: dict[str, str] | None = None
    """verify: task kind -> verifier name and version."""
    verified: int | None = None
    complete: bool | None = None
    """verify: no verdict has status ``error``."""
    unresolved_errors: int | None = None
    verifier: str | None = None
    """verify, in runs written before per-kind verifiers: the one verifier's name."""
    run: str | None = None
    """guess: path of the nested answer-only run."""
    threshold: float | None = None
    """guess: the accuracy below which an answer counts as guessable."""
    judge: str | None = None
    """judge: the judge id (name#fingerprint)."""
    judged: int | None = None
    engine: str | None = None
    """perplexity: the scoring engine."""
    scored: int | None = None
    summary: str | None = None
    """analyze: path of summary.json."""
    index: str | None = None
    """report: path of index.html."""


class JudgeRecord(_Record):
    """An LLM judge whose labels are in the ``judgments`` table (``judges.<judge id>``)."""

    spec: dict[str, Any] = Field(default_factory=dict)
    """The judge's spec entry (model, prompt, votes, decoding)."""
    engine: dict[str, Any] | None = None
    """The judge engine's description."""


class Manifest(_Record):
    """A run's ``manifest.json``. Frozen: change a run through ``Run``'s writers."""

    format: Literal["boundary-run"]
    """Always ``"boundary-run"``."""
    version: int = 1
    """Run-format version; a reader refuses versions newer than its own ``FORMAT_VERSION``."""
    boundary_version: str | None = None
    """Version of boundary that created the run."""
    created: str | None = None
    """UTC timestamp (ISO 8601)."""
    updated: str | None = None
    """UTC timestamp (ISO 8601) of the last manifest change."""
    spec: dict[str, Any] = Field(default_factory=dict)
    """The experiment spec the run was made from (``{}`` for imports)."""
    models: list[str] = Field(default_factory=list)
    """Model names in first-seen order; the first is the default reference model."""
    benchmarks: list[str] = Field(default_factory=list)
    """Benchmark names in first-seen order."""
    imports: list[ImportRecord] = Field(default_factory=list)
    stages: dict[str, StageRecord] = Field(default_factory=dict)
    model_info: dict[str, ModelInfo] = Field(default_factory=dict)
    sampling: dict[str, SamplingRecord] = Field(default_factory=dict)
    judges: dict[str, JudgeRecord] = Field(default_factory=dict)


#: Upgrades of a manifest dict from version v to v + 1, applied in turn when an older run is
#: read. Empty while the format is at version 1; a version bump adds its step here.
_MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def _upgrade(data: dict[str, Any], where: str) -> dict[str, Any]:
    version = data.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool):
        raise StoreError(f"{where}: field 'version' is {version!r}; expected an integer run-format version "
                         f"(1..{FORMAT_VERSION}). The manifest is damaged; restore the field.")
    if version > FORMAT_VERSION:
        raise StoreError(f"{where} has run format version {version}, newer than this boundary understands "
                         f"({FORMAT_VERSION}). Upgrade boundary.")
    while version < FORMAT_VERSION and version in _MIGRATIONS:
        data = _MIGRATIONS[version](data)
        version += 1
        data["version"] = version
    return data


def _field_name(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc if p not in ("function-after", "function-before"))


def parse_manifest(data: Any, *, where: str = "manifest.json", writing: bool = False) -> Manifest:
    """Validate a manifest dict (as loaded from JSON) into a :class:`Manifest`.

    Raises ``StoreError`` naming ``where`` and the offending field when ``data`` is not a boundary
    run manifest, is newer than this boundary, or holds a field of the wrong type. ``writing``:
    ``data`` is a change about to be written (the message then blames the change, not the file).
    """
    if not isinstance(data, dict):
        raise StoreError(f"{where} holds a JSON {type(data).__name__}, not an object; it is not a boundary "
                         "run manifest. Point at the directory that `boundary import`/`boundary run` created.")
    if data.get("format") != FORMAT_NAME:
        raise StoreError(f"{where} is not a boundary run manifest (field 'format' is {data.get('format')!r}, "
                         f"expected {FORMAT_NAME!r}). Point at the directory that `boundary import`/"
                         "`boundary run` created.")
    data = _upgrade(dict(data), where)
    try:
        return Manifest.model_validate(data)
    except ValidationError as e:
        errs = e.errors()
        parts = [f"field '{_field_name(err['loc'])}' is invalid: {err['msg']} (got {err.get('input')!r})"
                 for err in errs[:3]]
        more = f" (and {len(errs) - 3} more)" if len(errs) > 3 else ""
        fix = ("the change was not written; give the field the type the format requires" if writing else
               "the manifest is damaged or was edited by hand; restore the field")
        raise StoreError(f"{where}: {'; '.join(parts)}{more}. {fix[0].upper()}{fix[1:]} (its shape: "
                         "docs/run-format.md, or boundary.store.manifest_schema()).") from None


def manifest_dict(manifest: BaseModel) -> dict[str, Any]:
    """The JSON form of ``manifest`` (or of one of its records): every key it was read or built
    with, unknown ones included."""
    return manifest.model_dump(mode="json", exclude_unset=True, fallback=str)


def manifest_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``manifest.json``, derived from :class:`Manifest`.

    >>> s = manifest_schema()
    >>> s["properties"]["format"]["const"], s["required"]
    ('boundary-run', ['format'])
    """
    schema = Manifest.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "boundary run manifest (manifest.json)"
    schema["description"] = (f"The manifest of a boundary run directory, format {FORMAT_NAME!r} version "
                             f"{FORMAT_VERSION}. Readers accept older versions and keep unknown keys.")
    return schema


__all__ = ["ImportRecord", "JudgeRecord", "Manifest", "ModelInfo", "SamplingRecord", "StageRecord",
           "TemplateRecord", "manifest_dict", "manifest_schema", "parse_manifest"]

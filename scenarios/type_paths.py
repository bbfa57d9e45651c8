"""Walk pydantic error locations through type annotations.

A ValidationError's ``loc`` mixes the data path with discriminator tags (``faults.0.memory_leak.at``)
and ``[key]`` markers; following the types tells them apart and finds the model at each place (its
field names feed the "did you mean" suggestions).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel

Loc = tuple[str | int, ...]


def data_path(root: Any, loc: Iterable[str | int]) -> tuple[Loc, bool, Any]:
    """Pydantic's ``loc`` walked through the types: (path in the data, names a key?, type found there).

    Discriminated unions add their tag to ``loc`` (``faults.0.memory_leak.service``); the tag is not in
    the data, so it is dropped. Dict keys add ``[key]``.
    """
    tp, path, at_key = root, [], False
    for part in loc:
        if part == "[key]":
            at_key = True
            continue
        tp = unwrap(tp)
        if _is_union(tp):
            member = _tagged_member(tp, part)
            if member is not None:
                tp = member
                continue
        path.append(part)
        tp = _child_type(tp, part)
    return tuple(path), at_key, tp


def unwrap(tp: Any) -> Any:
    """``tp`` without Annotated metadata and without ``| None``."""
    while True:
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
        elif _is_union(tp) and type(None) in get_args(tp):
            rest = [a for a in get_args(tp) if a is not type(None)]
            if len(rest) != 1:
                return typing.Union[tuple(rest)]  # noqa: UP007 - built from a runtime tuple
            tp = rest[0]
        else:
            return tp


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (typing.Union, types.UnionType)


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _tagged_member(union: Any, tag: str | int) -> Any:
    for member in get_args(union):
        if _is_model(member) and any(tag in _literals(f.annotation) for f in member.model_fields.values()):
            return member
    return None


def _literals(tp: Any) -> tuple[Any, ...]:
    return get_args(tp) if get_origin(tp) is Literal else ()


def discriminator_tags(union: Any, disc: str) -> list[str]:
    """Valid values of the discriminator ``disc`` of a tagged union (``type`` of a fault)."""
    union = unwrap(union)
    members = get_args(union) if _is_union(union) else ()
    return [
        str(tag)
        for m in members
        if _is_model(m) and disc in m.model_fields
        for tag in _literals(m.model_fields[disc].annotation)
    ]


def _child_type(tp: Any, part: str | int) -> Any:
    origin = get_origin(tp)
    if _is_model(tp):
        for name, info in tp.model_fields.items():
            if part in (name, info.alias):
                return info.annotation
        return Any
    if origin in (list, tuple) and get_args(tp):
        return get_args(tp)[0]
    if origin is dict and get_args(tp):
        return get_args(tp)[1]
    return Any


def field_names(tp: Any) -> list[str]:
    """Field names of the model ``tp`` as written in files (aliases such as ``from``); [] if not a model."""
    tp = unwrap(tp)
    if not _is_model(tp):
        return []
    return [info.alias or name for name, info in tp.model_fields.items()]

"""Identifiers as the API accepts them: short, printable, and safe in a path."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")]

"""The requirement catalogue, loaded from ``requirements.toml`` shipped in the package."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Literal

Level = Literal["MUST", "SHOULD", "MAY"]
PROFILES = ("core", "mattermost")


@dataclass(frozen=True)
class Requirement:
    id: str
    level: Level
    profiles: tuple[str, ...]
    statement: str
    source: str

    def title(self) -> str:
        return f"{self.id} ({self.level}): {self.statement}"


class Catalogue(Mapping[str, Requirement]):
    """Requirements by id, in catalogue order."""

    def __init__(self, requirements: list[Requirement]) -> None:
        self._by_id = {requirement.id: requirement for requirement in requirements}
        if len(self._by_id) != len(requirements):
            raise ValueError("duplicate requirement id in the catalogue")

    @classmethod
    def load(cls) -> Catalogue:
        text = resources.files("conformance").joinpath("requirements.toml").read_text("utf-8")
        return cls(
            [
                Requirement(
                    id=entry["id"],
                    level=entry["level"],
                    profiles=tuple(entry["profiles"]),
                    statement=entry["statement"],
                    source=entry["source"],
                )
                for entry in tomllib.loads(text)["requirement"]
            ]
        )

    def in_profile(self, profile: str) -> list[Requirement]:
        return [
            requirement for requirement in self._by_id.values() if profile in requirement.profiles
        ]

    def __getitem__(self, requirement_id: str) -> Requirement:
        return self._by_id[requirement_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

"""Types of the C module built from ``_screen.c`` (see that file)."""

from typing import Any

_Bytes = bytes | bytearray | memoryview

class Screen:
    def abstract(self, key: str, constants: tuple[int, ...], /) -> None: ...
    def scan(
        self, buffer: _Bytes, pos: int, max_line: int, max_learn: int, /
    ) -> tuple[list[int | None], int, int, int]: ...
    def learn(self, line: _Bytes, keys: tuple[str, ...], number: int, of: int = 0, /) -> bool: ...
    def stats(self) -> dict[str, Any]: ...

class RecorderBase(dict[Any, Any]):
    @property
    def seen(self) -> dict[Any, None]: ...

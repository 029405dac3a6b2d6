"""A progress bar for commands that work through many families (`tfp impact`, `tfp batch`):
count, rate and ETA on stderr when it is a terminal, nothing when it is not."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


@contextmanager
def progress_bar(
    label: str, total: int | None, *, every: int = 64
) -> Iterator[Callable[[int], None]]:
    """`update(done)` for the block: the bar redrawn every `every` families and at the end."""
    console = Console(stderr=True)
    if not console.is_terminal:
        yield lambda done: None
        return
    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]} families/s"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total, rate="-")

        def update(done: int) -> None:
            if done % every == 0 or done == total:
                speed = bar.tasks[0].speed
                bar.update(task, completed=done, rate=f"{speed:,.0f}" if speed else "-")

        yield update

"""The model queue as shoppers feel it: one shopper's burst does not hold everyone else back,
a full queue (or a full share of it) answers at once with a wait computed from the queue, and a
client that goes away while waiting frees its place without leaking a slot."""

from __future__ import annotations

import asyncio

import pytest

from assistant.server.service import Admission, QueueFull


async def _run(admission: Admission, turns: list[str], hold: float = 0.01) -> list[str]:
    """Start `turns` (user names) in this order, each holding its slot for `hold` s; the order
    in which they got the model."""
    started: list[str] = []

    async def turn(user: str) -> None:
        async with admission.slot(user):
            started.append(user)
            await asyncio.sleep(hold)

    tasks = []
    for user in turns:
        tasks.append(asyncio.create_task(turn(user)))
        await asyncio.sleep(0)  # queued in this order
    await asyncio.gather(*tasks)
    return started


def test_a_burst_from_one_shopper_waits_behind_the_next_turn_of_everyone_else():
    admission = Admission(slots=1, max_queue=16, per_user=8)
    order = asyncio.run(_run(admission, ["ann"] * 5 + ["bob", "cat"]))
    # first come first served would give bob the 6th turn and cat the 7th
    assert order == ["ann", "ann", "bob", "cat", "ann", "ann", "ann"]
    assert admission.free == 1 and admission.waiting == 0


def test_a_full_queue_and_a_full_share_refuse_at_once_with_a_wait_from_the_queue():
    async def scenario():
        admission = Admission(slots=1, max_queue=4, per_user=2)
        admission.turn_s = 3.0
        gate = asyncio.Event()

        async def hold(user: str) -> None:
            async with admission.slot(user):
                await gate.wait()

        tasks = [asyncio.create_task(hold(u)) for u in ("ann", "ann", "ann", "bob")]
        await asyncio.sleep(0.01)  # ann holds the slot; ann ×2 and bob wait
        assert admission.waiting == 3
        with pytest.raises(QueueFull) as over_share:  # ann's share (2 waiting) is full
            await hold("ann")
        # ann's third waiting turn would start after 3 of the 3 waiting ones: 3 s × 4
        assert over_share.value.retry_after == 12
        await hold_briefly(admission, "cat")  # others still get in line
        with pytest.raises(QueueFull) as full:  # 4 waiting: the queue is full for everyone
            await hold("dan")
        # a new shopper waits for one turn of each shopper waiting: ann's next, bob's, cat's
        assert full.value.retry_after == 12
        gate.set()
        await asyncio.gather(*tasks)
        return admission

    admission = asyncio.run(scenario())
    assert admission.free == 1 and admission.waiting == 0


async def hold_briefly(admission: Admission, user: str) -> None:
    """Queue one turn for `user` and leave it waiting (it runs when the gate opens)."""

    async def turn() -> None:
        async with admission.slot(user):
            pass

    asyncio.get_running_loop().create_task(turn())
    await asyncio.sleep(0)


def test_a_client_that_leaves_while_waiting_frees_its_place_and_no_slot_leaks():
    async def scenario():
        admission = Admission(slots=1, max_queue=4, per_user=4)
        gate = asyncio.Event()
        started: list[str] = []

        async def hold(user: str) -> None:
            async with admission.slot(user):
                started.append(user)
                await gate.wait()

        first = asyncio.create_task(hold("ann"))
        gone = asyncio.create_task(hold("bob"))
        stays = asyncio.create_task(hold("cat"))
        await asyncio.sleep(0.01)
        gone.cancel()  # bob's client went away while waiting
        await asyncio.sleep(0.01)
        assert admission.waiting == 1
        gate.set()
        await asyncio.gather(first, stays)
        assert gone.cancelled() and started == ["ann", "cat"]
        return admission

    admission = asyncio.run(scenario())
    assert admission.free == 1 and admission.waiting == 0


def test_turns_with_no_user_share_one_lane_capped_only_by_the_queue():
    admission = Admission(slots=1, max_queue=6, per_user=1)
    order = asyncio.run(_run(admission, [None, None, None, "ann", None]))
    assert order == [None, None, "ann", None, None]

"""The room filler: invigilators of a room come from different schools; a replan's previous rooms are kept
where the rules allow."""
from scheduling.exam_logistics.data import ExamRoom, Pin
from scheduling.exam_logistics.derive import SiteSession
from scheduling.exam_logistics.filling import Present, fill_site_session


def _site(n_rooms: int) -> SiteSession:
    rooms = tuple(ExamRoom("S0", f"{k:02d}", 30) for k in range(1, n_rooms + 1))
    return SiteSession("E1", "S0", rooms, (2,) * n_rooms, 0)


def _rooms_of(rows):
    rooms: dict[str, set[str]] = {}
    for tid, room, _ in rows:
        rooms.setdefault(room, set()).add(tid)
    return rooms


def test_rooms_mix_schools():
    people = [Present(f"A{k}", "A", True, (1, 10)) for k in range(3)] + \
             [Present(f"B{k}", "B", True, (0, 5)) for k in range(3)]
    rows = fill_site_session(_site(3), people)
    for members in _rooms_of(rows).values():
        assert {p[0] for p in members} == {"A", "B"}


def test_preferred_rooms_are_kept_as_far_as_the_rules_allow():
    # before: room 01 = A0+B0, 02 = A1+B1, 03 = A2+C0. C0 leaves and B2 comes: B2 joins A2 in room 03
    people = [Present("A0", "A", True, (1, 9)), Present("A1", "A", True, (1, 8)), Present("A2", "A", True, (1, 7)),
              Present("B0", "B", False, (0, 5)), Present("B1", "B", False, (0, 5)), Present("B2", "B", False, (0, 4))]
    before = {"A0": "01", "B0": "01", "A1": "02", "B1": "02", "A2": "03"}
    hard = {tid: Pin(tid, "E1", "S0", None, room) for tid, room in before.items()}
    rows = fill_site_session(_site(3), people, {}, True, None, before)
    kept = sum(before.get(tid) == room for tid, room, _ in rows)
    assert kept == len(before)  # B2 joins A2 in room 03; nobody else moves
    rows = fill_site_session(_site(3), people, hard)
    assert {tid: room for tid, room, _ in rows if tid in before} == before
    for members in _rooms_of(rows).values():
        assert len({m[0] for m in members}) == 2


def test_without_preferences_a_full_refill_may_move_everyone_but_preferences_keep_most():
    # the previous rooms break the rule (two of a school in a room): half of them stay, the other two swap
    people = [Present("A0", "A", True, (1, 9)), Present("A1", "A", True, (1, 8)),
              Present("B0", "B", True, (0, 5)), Present("B1", "B", True, (0, 5))]
    before = {"A0": "01", "A1": "01", "B0": "02", "B1": "02"}  # impossible as it stands: both rooms single-school
    rows = fill_site_session(_site(2), people, {}, True, None, before)
    kept = sum(before.get(tid) == room for tid, room, _ in rows)
    assert kept == 2
    for members in _rooms_of(rows).values():
        assert len({m[0] for m in members}) == 2

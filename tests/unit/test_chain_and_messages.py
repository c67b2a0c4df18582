from cascade_audit.domain.chain import GENESIS, Link, record_hash, verify
from cascade_notifications.domain.messages import (
    Person,
    recipients_of_outcome,
    recipients_of_step,
    render,
)
from cascade_shared.events import routing_key_matches


def chain(n: int) -> list[Link]:
    links, prev = [], GENESIS
    for i in range(1, n + 1):
        fields = {"seq": i, "payload": {"n": i}}
        h = record_hash(prev, fields)
        links.append(Link(i, prev, h, fields))
        prev = h
    return links


def test_an_intact_chain_verifies() -> None:
    assert verify(chain(5)).ok


def test_a_changed_record_is_named() -> None:
    links = chain(5)
    links[2] = Link(3, links[2].prev_hash, links[2].hash, {"seq": 3, "payload": {"n": 99}})
    verdict = verify(links)
    assert not verdict.ok and verdict.first_broken_seq == 3


def test_a_removed_record_breaks_the_next_link() -> None:
    links = chain(5)
    del links[1]
    assert verify(links).first_broken_seq == 3


def test_topic_matching() -> None:
    assert routing_key_matches("#", "plan.submitted")
    assert routing_key_matches("plan.*", "plan.submitted")
    assert not routing_key_matches("plan.*", "plan.a.b")
    assert routing_key_matches("plan.#", "plan.a.b")
    assert not routing_key_matches("approval.*", "plan.submitted")


def test_messages_in_vietnamese_and_english() -> None:
    payload = {"title": "Kế hoạch phường Hương An", "version": 2, "comment": "Bổ sung chỉ tiêu"}
    vi = render("plan.returned", payload, "vi")
    assert vi.title == "Kế hoạch bị trả lại để chỉnh sửa: Kế hoạch phường Hương An"
    assert "Bổ sung chỉ tiêu" in vi.body
    assert render("plan.returned", payload, "en").title.startswith("Plan returned")


def test_recipients() -> None:
    people = [
        Person("d", "w", ("drafter",)),
        Person("h", "w", ("head",)),
        Person("x", "w2", ("head",)),
        Person("a", "c", ("approver",)),
    ]
    assert {p.username for p in recipients_of_outcome("d", "w", people)} == {"d", "h"}
    assert [p.username for p in recipients_of_step("c", "approver", people)] == ["a"]

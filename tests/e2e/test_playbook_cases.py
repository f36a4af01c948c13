"""The playbook cases of issue 14, scripted against the real stack.

Each test holds one short conversation with a fresh visitor and reads what the bot did
from the visitor's socket (texts, buttons) and Rasa's tracker (the phrase key of each
bot message, the slots). The whole test set with scores is ``make eval``.
"""

from __future__ import annotations

import pytest

from tests.conversations.client import observe_turn
from tests.conversations.observation import TurnObservation
from tests.e2e.visitor import RasaApi, Visitor

pytestmark = pytest.mark.stack

GRANTS = ("confirm_resolution", "partial_grant")


async def say(visitor: Visitor, rasa_api: RasaApi, text: str) -> TurnObservation:
    return await observe_turn(visitor, rasa_api, text)


def phrases(turn: TurnObservation) -> list[str | None]:
    return turn.phrases()


def text_of(turn: TurnObservation, phrase: str) -> str:
    """The text of the turn's message with this phrase key (the test fails if none)."""
    found = [m.text for m in turn.messages if m.phrase == phrase]
    assert found, f"no {phrase} in {[(m.phrase, m.text) for m in turn.messages]}"
    return found[0]


async def complaint_to_proposal(
    visitor: Visitor, rasa_api: RasaApi, complaint: str
) -> TurnObservation:
    """State the complaint, confirm the restatement; the turn with the proposal."""
    first = await say(visitor, rasa_api, complaint)
    assert "restate_complaint" in phrases(first), first.messages
    confirmed = await say(visitor, rasa_api, "yes")
    assert {"propose_fix", "propose_only_fix"} & set(phrases(confirmed)), confirmed.messages
    return confirmed


async def test_the_89_90_double_charge_is_never_granted_and_goes_to_a_person(
    visitor: Visitor, rasa_api: RasaApi
) -> None:
    first = await say(visitor, rasa_api, "you charged me $89.90 twice for order 48213")
    restatement = text_of(first, "restate_complaint")
    assert "48213" in restatement and "$89.90" in restatement
    await say(visitor, rasa_api, "yes")
    ask = await say(visitor, rasa_api, "just refund the second charge")
    assert not set(GRANTS) & set(phrases(ask)), ask.messages
    assert ask.slots.get("dialogue_stage") == "handed_off"


async def test_no_it_arrived_fine_drops_late_delivery_and_damage(
    visitor: Visitor, rasa_api: RasaApi
) -> None:
    first = await say(
        visitor, rasa_api,
        "order 73310: the TV is late, the screen is smashed and you charged me twice",
    )  # fmt: skip
    assert "restate_complaint" in phrases(first)
    corrected = await say(visitor, rasa_api, "No. It arrived fine and it's not late")
    restatement = text_of(corrected, "restate_complaint").lower()
    assert "charged" in restatement
    assert "late" not in restatement and "arrived yet" not in restatement
    assert "damaged" not in restatement


async def test_a_colour_correction_of_a_wrong_item_is_restated_with_the_new_colour(
    visitor: Visitor, rasa_api: RasaApi
) -> None:
    first = await say(
        visitor, rasa_api, "I ordered a black watch strap and got a pink one, order 39021"
    )
    assert "black" in text_of(first, "restate_complaint").lower()
    corrected = await say(visitor, rasa_api, "no, I ordered it in blue, not black")
    restatement = text_of(corrected, "restate_complaint").lower()
    assert "blue" in restatement and "black" not in restatement


@pytest.mark.parametrize(
    "message",
    [
        "the router from order 28815 keeps dropping the wifi, can I speak to a real person please",
        "three weeks and still no parcel, I've written four times already, I just want a human",
        "this jacket from order 64470 fell apart after one wash, get me a person",
    ],
)
async def test_a_request_for_a_person_inside_a_longer_message_hands_off(
    visitor: Visitor, rasa_api: RasaApi, message: str
) -> None:
    turn = await say(visitor, rasa_api, message)
    assert turn.slots.get("dialogue_stage") == "handed_off", turn.messages


async def test_what_can_you_do_after_a_proposal_repeats_the_options(
    visitor: Visitor, rasa_api: RasaApi
) -> None:
    await complaint_to_proposal(visitor, rasa_api, "my tablet from order 57720 is 8 days late")
    turn = await say(visitor, rasa_api, "what can you do?")
    assert "repeat_options" in phrases(turn), turn.messages
    assert not set(GRANTS) & set(phrases(turn))


async def test_a_two_part_counter_ask_within_authority_grants_both_parts(
    visitor: Visitor, rasa_api: RasaApi
) -> None:
    await complaint_to_proposal(visitor, rasa_api, "the headset from order 33418 is a week late")
    turn = await say(
        visitor, rasa_api, "refund the delivery fee and give me 10% off for the trouble"
    )
    granted = [m.text.lower() for m in turn.messages if m.phrase in GRANTS]
    assert granted, turn.messages
    assert "delivery fee" in granted[0] and "10%" in granted[0]


async def test_a_two_part_counter_ask_beyond_authority_is_split(
    visitor: Visitor, rasa_api: RasaApi
) -> None:
    await complaint_to_proposal(visitor, rasa_api, "the camera from order 84402 arrived scratched")
    turn = await say(visitor, rasa_api, "send a replacement and give me 40% off my next order")
    assert "partial_grant" in phrases(turn), turn.messages
    assert "confirm_resolution" not in phrases(turn)
    assert turn.slots.get("dialogue_stage") == "handed_off"


async def test_how_long_will_the_replacement_take_after_a_resolution(
    visitor: Visitor, rasa_api: RasaApi
) -> None:
    await complaint_to_proposal(
        visitor, rasa_api, "my keyboard from order 20951 arrived with snapped keys"
    )
    agreed = await say(visitor, rasa_api, "a replacement please")
    assert "confirm_resolution" in phrases(agreed), agreed.messages
    turn = await say(visitor, rasa_api, "how long will the replacement take?")
    assert phrases(turn) == ["answer_timeline"], turn.messages


async def test_a_long_capitalised_rant_gets_acknowledge_vent(
    visitor: Visitor, rasa_api: RasaApi
) -> None:
    turn = await say(
        visitor, rasa_api,
        "I HAVE BEEN WAITING THREE WEEKS AND NOBODY ANSWERS MY EMAILS. NOBODY PICKS UP THE "
        "PHONE. THIS IS THE WORST SHOP I HAVE EVER USED AND I AM SICK OF IT",
    )  # fmt: skip
    assert phrases(turn) == ["acknowledge_vent"], turn.messages


async def test_an_insult_gets_one_boundary_line_and_the_bot_carries_on(
    visitor: Visitor, rasa_api: RasaApi
) -> None:
    turn = await say(
        visitor, rasa_api, "you useless idiots, my drone from order 80015 arrived broken"
    )
    assert phrases(turn).count("abuse_boundary") == 1, turn.messages
    assert "abuse_end" not in phrases(turn)


async def test_an_html_tag_alone_gets_no_language(visitor: Visitor, rasa_api: RasaApi) -> None:
    turn = await say(visitor, rasa_api, "<div>")
    assert phrases(turn) == ["no_language"], turn.messages


async def test_a_spanish_message_gets_other_language(visitor: Visitor, rasa_api: RasaApi) -> None:
    turn = await say(
        visitor, rasa_api, "Hola, mis auriculares no han llegado y ya pasaron dos semanas"
    )
    assert "other_language" in phrases(turn), turn.messages
    assert "restate_complaint" not in phrases(turn)


async def test_the_restatement_offers_yes_and_no_buttons(
    visitor: Visitor, rasa_api: RasaApi
) -> None:
    turn = await say(visitor, rasa_api, "the soundbar from order 51877 hasn't arrived")
    [restatement] = [m for m in turn.messages if m.phrase == "restate_complaint"]
    assert [b.title for b in restatement.buttons] == ["Yes", "No"]
    assert restatement.visible
    clicked = await say(visitor, rasa_api, restatement.buttons[0].payload)
    assert "state_limits" in phrases(clicked), clicked.messages


# --- issue 15: complaint or not first, and the details of real messages -----------------


async def test_a_question_gets_the_way_on_and_no_restated_complaint(
    visitor: Visitor, rasa_api: RasaApi
) -> None:
    turn = await say(visitor, rasa_api, "hiya, is the linen shirt coming back in XL any time soon?")
    assert "answer_question" in phrases(turn), turn.messages
    assert "restate_complaint" not in phrases(turn)
    [answer] = [m for m in turn.messages if m.phrase == "answer_question"]
    assert [b.title for b in answer.buttons] == ["Ask a person"]


async def test_a_new_category_is_restated_with_an_order_number_of_a_real_shape(
    visitor: Visitor, rasa_api: RasaApi
) -> None:
    turn = await say(
        visitor,
        rasa_api,
        "tracking for purchase 0000458812 says delivered on monday but nothing came",
    )
    restatement = text_of(turn, "restate_complaint")
    assert "0000458812" in restatement and "lost" in restatement

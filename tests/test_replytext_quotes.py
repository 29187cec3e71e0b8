"""Member text in replies written below, between and above the quoted digest, in several languages, with
signature blocks recognised by their shape. Each case is written here, not taken from a reply library's tests."""

from __future__ import annotations

from advocacy.inbound.htmltext import html_to_text
from advocacy.inbound.quotes import is_attribution, member_lines
from advocacy.inbound.replies import parse_reply
from advocacy.inbound.replytext import is_acknowledgement, member_text, split_questions

QUOTE = "> HB 305 (property tax relief): The committee adopted a substitute.\n>\n> SB 22 (calendar): passed.\n"


def test_bottom_posted_reply_keeps_the_text_below_the_quote() -> None:
    body = f"On 3/4/25 9:12 AM, Lakeshore Schools Collaborative wrote:\n{QUOTE}\nWhen is the HB 305 vote?\n"
    assert member_text(body) == "When is the HB 305 vote?"


def test_bottom_posted_reply_drops_the_delimited_signature_below_it() -> None:
    body = f"Am 04.03.25 um 09:12 schrieb Lakeshore:\n{QUOTE}\nWann wird über HB 305 abgestimmt?\n\n-- \nJ. Weber"
    assert member_text(body) == "Wann wird über HB 305 abgestimmt?"


def test_interleaved_answers_are_kept_in_order_without_the_quoted_lines() -> None:
    body = (
        "On Tue, Mar 4, 2025 at 9:12 AM Lakeshore <questions@reply.example.org> wrote:\n\n"
        "> HB 305 (property tax relief): adopted a substitute.\n\n"
        "Who should testify for us?\n\n"
        "> SB 22 (calendar): passed the Senate.\n\n"
        "Does it apply to districts that start after Labor Day?\n\n"
        "> Reply with questions.\n\nThanks,\nDana"
    )
    assert member_text(body) == (
        "Who should testify for us?\n\nDoes it apply to districts that start after Labor Day?"
    )


def test_member_lines_drop_each_quoted_block_and_its_attribution_only() -> None:
    lines = ["Top note.", "", "Le 4 mars 2025 à 09:12, L <q@r.example.org> a écrit :", "> a", "", "Below.", "> b"]
    assert member_lines(lines) == ["Top note.", "", "Below."]


def test_unquoted_old_message_under_an_attribution_goes_entirely() -> None:
    body = ("Is SB 22 final?\n\nOn Tuesday, March 4, 2025 at 09:12:33 AM EST, Lakeshore <q@r.example.org> wrote:\n\n"
            "LAKESHORE DIGEST\nSB 22 passed the Senate.\n\nReply with questions.")
    assert member_text(body) == "Is SB 22 final?"


def test_attribution_lines_in_many_languages_and_date_orders() -> None:
    for line in [
        "вт, 4 мар. 2025 г. в 09:12, Lakeshore Schools Collaborative <questions@reply.example.org>:",
        "4 марта 2025 г., в 9:12, Lakeshore <questions@reply.example.org> написал(а):",
        "04.03.2025 09:12, Lakeshore Schools Collaborative пишет:",
        "El 4/3/25 a las 9:12, Lakeshore Schools Collaborative escribió:",
        "Em 04/03/2025 09:12, Lakeshore Schools Collaborative escreveu:",
        "Op 04-03-2025 om 09:12 schreef Lakeshore Schools Collaborative:",
        "Il 04/03/25 09:12, Lakeshore Schools Collaborative ha scritto:",
        "Le 04/03/2025 à 09:12, Lakeshore Schools Collaborative a écrit :",
        "在 2025/3/4 9:12, Lakeshore Schools Collaborative 写道:",
        "2025年3月4日(火) 9:12 Lakeshore <questions@reply.example.org>:",
    ]:
        assert is_attribution(line), line
    assert not is_attribution("Could you send it to jane@example.org by 5 pm?")
    assert not is_attribution("Two questions for Thursday:")


def test_header_blocks_in_other_languages_end_the_member_text() -> None:
    for block in [
        "От: Lakeshore <q@r.example.org>\nОтправлено: 4 марта 2025 г. 17:12\nКому: Ольга\nТема: Digest",
        "De : Lakeshore <q@r.example.org>\nEnvoyé : mardi 4 mars 2025 15:12\nÀ : Claire\nObjet : Digest",
        "发件人: Lakeshore <q@r.example.org>\n发送时间: 2025年3月4日 22:12\n收件人: 王丽\n主题: Digest",
        "差出人: Lakeshore <q@r.example.org>\n送信日時: 2025年3月4日 23:12\n宛先: 佐藤\n件名: Digest",
        "-------- Mensaje original --------\nDe: Lakeshore <q@r.example.org>\nFecha: 4/3/25 9:12",
    ]:
        assert member_text(f"¿Y el SB 22?\n\n{block}\n\nSB 22 passed the Senate.") == "¿Y el SB 22?", block


def test_sign_offs_in_other_languages_are_not_the_question() -> None:
    for signoff in ["Gracias,\nMaría", "Saludos", "Merci,\nClaire", "Mit freundlichen Grüßen\nJürgen Weber",
                    "Atenciosamente,\nJoão", "С уважением,\nОльга", "此致\n敬礼", "よろしくお願いいたします。",
                    "Met vriendelijke groet,\nSanne", "Cordiali saluti,\nGiulia"]:
        assert member_text(f"HB 305: when is the vote?\n\n{signoff}") == "HB 305: when is the vote?", signoff


def test_signature_block_without_delimiter_or_sign_off_is_recognised_by_its_shape() -> None:
    body = ("Does HB 58 fund coaches in year one?\n\nJohn Carter\nDirector of Teaching and Learning\n"
            "Pine Valley Local Schools\n77 River Road, Westbrook, OH 44600\n(555) 555-0144\nwww.pinevalley.example.org")
    assert member_text(body) == "Does HB 58 fund coaches in year one?"


def test_signature_block_in_another_script_is_recognised_by_its_shape() -> None:
    body = "Сколько будет стоить HB 58?\n\nОльга Смирнова\nФинансовый директор\nТел.: +1 (555) 555-0166"
    assert member_text(body) == "Сколько будет стоить HB 58?"
    assert member_text("HB 58 的费用是多少？\n\n王丽\n财务总监\n电话：(555) 555-0133") == "HB 58 的费用是多少？"


def test_a_short_last_sentence_is_not_taken_for_a_signature() -> None:
    body = "Is HB 58 funded?\nSame question for our district\n\nPriya"
    assert member_text(body) == "Is HB 58 funded?\nSame question for our district"


def test_mobile_footers_in_the_phones_language_are_dropped() -> None:
    for footer in ["Enviado desde mi iPhone", "Von meinem iPhone gesendet", "iPhoneから送信", "发自我的iPhone",
                   "Отправлено с iPhone", "Verstuurd vanaf mijn iPhone", "Inviato dal mio Galaxy"]:
        assert member_text(f"Is SB 22 final?\n\n{footer}") == "Is SB 22 final?", footer


def test_thanks_in_other_languages_is_an_acknowledgement_not_a_question() -> None:
    for text in ["¡Muchas gracias por la información!", "Merci beaucoup !", "Vielen Dank!", "Большое спасибо!",
                 "ご連絡ありがとうございます。", "非常感谢！", "Grazie mille!", "Hartelijk dank!"]:
        assert is_acknowledgement(text), text
    assert not is_acknowledgement("Gracias, pero ¿qué pasa con el SB 22?")


def test_localized_automatic_reply_subjects_are_auto_replies_with_no_text() -> None:
    for subject in ["Abwesenheitsnotiz: Legislative Digest", "Réponse automatique : Digest", "Автоответ: Digest",
                    "Respuesta automática: Digest", "自动回复: Digest", "自動応答: Digest", "Automatisch antwoord: Digest"]:
        raw = (f"From: a@b.example.org\nTo: questions+2t.x@reply.example.org\nSubject: {subject}\n"
               "Content-Type: text/plain; charset=utf-8\n\nIch bin bis zum 12. März nicht im Büro.\n").encode()
        parsed = parse_reply(raw)
        assert parsed.auto_reply and parsed.text == "" and not parsed.questions, subject


def test_html_reply_written_below_a_cited_blockquote_keeps_the_text_below() -> None:
    html = ('<html><body><div class="moz-cite-prefix">On 3/4/25 9:12 AM, Lakeshore wrote:<br></div>'
            '<blockquote type="cite"><p>HB 305 (property tax relief): adopted a substitute.</p>'
            '<p>SB 22: passed.</p></blockquote><p>When is the HB 305 vote?</p>'
            '<div class="moz-signature">-- <br>Priya Raman</div></body></html>')
    assert member_text(html_to_text(html)) == "When is the HB 305 vote?"


def test_html_interleaved_answers_between_gmail_quotes_are_kept_in_order() -> None:
    html = ('<div dir="ltr">Answers inline.</div><div class="gmail_quote"><div class="gmail_attr">On Tue, Mar 4, '
            '2025 at 9:12 AM Lakeshore &lt;questions@reply.example.org&gt; wrote:<br></div>'
            '<blockquote class="gmail_quote">HB 305: adopted a substitute.</blockquote>'
            '<div>Who testifies for us?</div>'
            '<blockquote class="gmail_quote">SB 22: passed.</blockquote><div>Does SB 22 apply to us?</div></div>')
    assert member_text(html_to_text(html)) == "Answers inline.\n\nWho testifies for us?\n\nDoes SB 22 apply to us?"


def test_html_indented_text_of_the_member_is_not_taken_for_a_quote() -> None:
    html = '<div>Our question:</div><blockquote style="margin:0 0 0 40px">Is HB 58 funded?</blockquote>'
    assert member_text(html_to_text(html)) == "Our question:\nIs HB 58 funded?"


def test_a_title_in_lower_case_under_the_signers_name_is_part_of_the_signature() -> None:
    body = ("Когда комитет рассмотрит HB 58?\n\nПетрова Ирина Викторовна\nзаместитель директора по учебной работе\n"
            "Школьный округ Оук-Ридж\nтел. +1 555 555 0167")
    assert member_text(body) == "Когда комитет рассмотрит HB 58?"


def test_a_signature_framed_by_rule_lines_goes_with_its_frame() -> None:
    body = "SB 22 は来年度から適用されますか。\n\n━━━━━━━━━━\n高橋 健\nTEL: 555-555-0145\n━━━━━━━━━━"
    assert member_text(body) == "SB 22 は来年度から適用されますか。"


def test_a_greeting_that_starts_like_a_sign_off_word_is_still_a_greeting() -> None:
    assert split_questions("Beste Sarah,\n\nIs er al bekend wanneer HB 305 gestemd wordt?") == [
        "Is er al bekend wanneer HB 305 gestemd wordt?"]


def test_an_attribution_right_under_the_text_without_a_blank_line_still_goes() -> None:
    body = "Is SB 22 final\nOn 3/4/25 9:12 AM, Lakeshore Schools Collaborative wrote:\n> SB 22 passed.\n"
    assert member_text(body) == "Is SB 22 final"


def test_header_blocks_that_do_not_start_with_from_or_sit_on_one_line_end_the_member_text() -> None:
    assert member_text("Is SB 22 final?\n\nDate: 3/4/25\nFrom: Lakeshore <q@r.example.org>\nTo: me\n\nSB 22.") == (
        "Is SB 22 final?")
    flat = "Is SB 22 final?\n\nFrom: Lakeshore Sent: Tuesday, March 4, 2025 9:12 AM To: Dana Subject: Digest\nSB 22."
    assert member_text(flat) == "Is SB 22 final?"
    assert member_text("Is SB 22 final?\n\nFrom: our board's point of view, it is urgent.") == (
        "Is SB 22 final?\n\nFrom: our board's point of view, it is urgent.")


def test_html_outlook_reply_in_another_language_is_cut_at_its_bordered_header_block() -> None:
    html = ('<div class="WordSection1"><p class="MsoNormal">Gibt es einen Termin für HB 58?</p>'
            '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0in 0in 0in">'
            '<p class="MsoNormal"><b>Von:</b> Lakeshore &lt;q@r.example.org&gt;<br><b>Gesendet:</b> Dienstag, '
            '4. März 2025 15:12<br><b>An:</b> Katrin</p></div><p>LAKESHORE DIGEST</p><p>HB 58: hearing.</p></div>')
    assert member_text(html_to_text(html)) == "Gibt es einen Termin für HB 58?"
    assert "LAKESHORE" not in html_to_text(html)


def test_a_reaction_emoji_is_an_acknowledgement() -> None:
    assert is_acknowledgement("👍") and is_acknowledgement("🙏 🙏")
    assert not is_acknowledgement("👍 but what about HB 58?")


def test_a_name_signed_after_a_dash_ends_the_text_but_footnotes_under_it_stay() -> None:
    assert member_text("Is SB 22 final?\n-keith") == "Is SB 22 final?"
    assert member_text("See also [1].\n\n- Jiang\n\n[1] http://example.org/a") == (
        "See also [1].\n\n[1] http://example.org/a")
    assert member_text("Thanks for the report.\n-Carl (who will reply\n until later)") == "Thanks for the report."
    assert member_text("Our concerns:\n- Funding") == "Our concerns:\n- Funding"

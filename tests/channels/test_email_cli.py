"""``fincall email ingest``: saved mail goes through the same path as SMTP."""

from __future__ import annotations

import mailbox

from typer.testing import CliRunner

from fincall.channels.email import service as mail
from fincall.channels.email.cli import app
from tests.channels.helpers import customer_with
from tests.channels.helpers import mail as make_mail
from tests.conftest import TEST_SECRET


def _env(world) -> dict[str, str]:
    s = world.runtime.settings
    return {
        "FINCALL_DATABASE_URL": s.sqlalchemy_url,
        "FINCALL_DATA_DIR": str(s.data_dir),
        "FINCALL_SECRET_KEY": TEST_SECRET,
        "FINCALL_ENVIRONMENT": "test",
    }


def test_ingest_files_and_mbox_reports_refusals_by_file(chan_world, tmp_path):
    w = chan_world
    cust = customer_with(w, language="en")
    box = mailbox.mbox(tmp_path / "saved.mbox")
    box.add(make_mail(sender=cust.email, message_id="<mb1@c>", text="first"))
    box.add(
        make_mail(sender=cust.email, message_id="<mb2@c>", in_reply_to="<mb1@c>", text="second")
    )
    box.close()
    folder = tmp_path / "eml"
    folder.mkdir()
    (folder / "a.eml").write_bytes(make_mail(sender="x@y.example", message_id="<e1@c>").as_bytes())
    (folder / "bad.eml").write_bytes(b"Subject: nobody sent this\r\n\r\nhi\r\n")
    runner = CliRunner()
    result = runner.invoke(app, ["ingest", str(tmp_path / "saved.mbox"), str(folder)], env=_env(w))
    assert result.exit_code == 1, result.output
    assert "stored 3, already present 0, refused 1" in result.output
    assert "bad.eml" in result.output and "550" in result.output
    with w.runtime.transaction() as session:
        first = mail.get_by_message_id(session=session, message_id="<mb1@c>")
        second = mail.get_by_message_id(session=session, message_id="<mb2@c>")
        assert first.contact_id == second.contact_id
    again = runner.invoke(app, ["ingest", str(tmp_path / "saved.mbox")], env=_env(w))
    assert again.exit_code == 0 and "stored 0, already present 2, refused 0" in again.output

from __future__ import annotations

from pathlib import Path

import pytest

from advocacy.config import ConfigError, Secrets, load_config

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def base_text() -> str:
    return (ROOT / "config.toml").read_text()


def test_project_config_loads_with_typed_values(config_path: Path) -> None:
    config = load_config(config_path, env={})
    assert config.collaborative.tz.key == "America/New_York"
    assert config.email.backend == "outbox"
    assert config.jurisdiction("OH").sessions == ["136"]
    assert config.database_url == f"sqlite:///{config_path.parent / 'var' / 'advocacy.db'}"


def test_unknown_key_is_named_with_its_section(tmp_path: Path) -> None:
    path = write(tmp_path, base_text().replace("[email]\n", "[email]\nbakcend = 'smtp'\n"))
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    assert str(err.value) == f"{path}: email.bakcend: unknown key"


def test_wrong_type_names_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, base_text().replace("call_minutes = 60", "call_minutes = 'an hour'"))
    with pytest.raises(ConfigError, match=r"schedule\.call_minutes: Input should be a valid integer"):
        load_config(path, env={})


def test_bad_cron_names_the_source(tmp_path: Path) -> None:
    path = write(tmp_path, base_text().replace('schedule = "15 7-18 * * 1-5"', 'schedule = "every hour"'))
    with pytest.raises(ConfigError, match=r"jurisdictions\[0\]\.sources\[0\]\.schedule: bad cron expression"):
        load_config(path, env={})


def test_bad_timezone_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, base_text().replace('timezone = "America/New_York"', 'timezone = "Ohio/Columbus"', 1))
    with pytest.raises(ConfigError, match=r"collaborative\.timezone: unknown time zone 'Ohio/Columbus'"):
        load_config(path, env={})


def test_missing_required_value_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, base_text().replace('postal_address = "100 Example Parkway, Suite 200, Columbus, OH 43215"\n', ""))
    with pytest.raises(ConfigError, match=r"collaborative\.postal_address: required value is missing"):
        load_config(path, env={})


def test_unknown_source_kind_lists_the_known_ones(tmp_path: Path) -> None:
    path = write(tmp_path, base_text().replace('kind = "ohio"', 'kind = "ohoi"'))
    with pytest.raises(ConfigError, match=r"sources\[0\]: .*unknown source kind 'ohoi' \(known: .*ohio"):
        load_config(path, env={})


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[collaborative\nname = 1")
    with pytest.raises(ConfigError, match=rf"^{path}: not valid TOML"):
        load_config(path, env={})


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_config(tmp_path / "absent.toml", env={})


def test_environment_overrides_any_setting(config_path: Path) -> None:
    config = load_config(config_path, env={
        "ADVOCACY_DATABASE__URL": "postgresql+psycopg://db.internal/advocacy",
        "ADVOCACY_EMAIL__BACKEND": "sendgrid",
        "ADVOCACY_EMAIL__SENDGRID__SANDBOX": "true",
        "ADVOCACY_SCHEDULE__CALL_MINUTES": "45",
    })
    assert config.database_url == "postgresql+psycopg://db.internal/advocacy"
    assert config.email.backend == "sendgrid"
    assert config.email.sendgrid.sandbox is True
    assert config.schedule.call_minutes == 45


def test_override_with_a_bad_value_is_reported_like_the_file(config_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"email\.backend: Input should be 'outbox', 'smtp' or 'sendgrid'"):
        load_config(config_path, env={"ADVOCACY_EMAIL__BACKEND": "pigeon"})


def test_an_override_that_fails_validation_names_the_variable_not_the_file(config_path: Path) -> None:
    with pytest.raises(ConfigError) as failed:
        load_config(config_path, env={"ADVOCACY_WEB__PORT": "abc", "ADVOCACY_HTTP__TIMEOUT": "5"})
    (line,) = str(failed.value).splitlines()
    assert line.startswith("environment variable ADVOCACY_WEB__PORT (overriding ") and ": web.port: " in line
    with pytest.raises(ConfigError) as section:  # a whole section replaced by a variable is that variable's fault
        load_config(config_path, env={"ADVOCACY_HTTP": "{}", "ADVOCACY_EMAIL__SMTP": '{"port": "x"}'})
    assert str(section.value).startswith("environment variable ADVOCACY_EMAIL__SMTP (overriding ")
    with pytest.raises(ConfigError) as unrelated:  # only the variable at fault is named
        load_config(config_path, env={"ADVOCACY_WEB__HOST": "0.0.0.0", "ADVOCACY_SCHEDULE__CALL_MINUTES": "5"})
    assert "ADVOCACY_WEB__HOST" not in str(unrelated.value)
    assert "ADVOCACY_SCHEDULE__CALL_MINUTES" in str(unrelated.value)


def test_secrets_come_only_from_the_environment(config_path: Path) -> None:
    text = config_path.read_text().replace("[email]\n", "[email]\nsendgrid_api_key = 'SG.x'\n")
    config_path.write_text(text)
    with pytest.raises(ConfigError, match="email.sendgrid_api_key: unknown key"):
        load_config(config_path, env={})
    secrets = Secrets.from_env({"SENDGRID_API_KEY": "SG.test"})
    assert secrets.require("sendgrid_api_key", "SENDGRID_API_KEY") == "SG.test"
    with pytest.raises(ConfigError, match="SENDGRID_API_KEY is not set"):
        Secrets.from_env({}).require("sendgrid_api_key", "SENDGRID_API_KEY")


def test_cron_weekdays_are_read_as_cron_reads_them(tmp_path: Path) -> None:
    # 7 is Sunday to cron; 8 is nothing
    assert load_config(write(tmp_path, base_text().replace('"15 7-18 * * 1-5"', '"0 7 * * 7"')), env={})
    with pytest.raises(ConfigError, match=r"sources\[0\]\.schedule: bad cron expression '0 7 \* \* 8': day of week"):
        load_config(write(tmp_path, base_text().replace('"15 7-18 * * 1-5"', '"0 7 * * 8"')), env={})
    with pytest.raises(ConfigError, match="five fields are needed"):
        load_config(write(tmp_path, base_text().replace('"15 7-18 * * 1-5"', '"0 7 * *"')), env={})


def test_a_topic_naming_an_unknown_committee_stops_the_config(tmp_path: Path) -> None:
    text = base_text().replace('committees = ["House Pensions"]', 'committees = ["House Pensoins"]')
    with pytest.raises(ConfigError, match=r"tagging: .*topics\.pay_retirement\.committees: unknown committee 'House Pensoins'"):
        load_config(write(tmp_path, text), env={})

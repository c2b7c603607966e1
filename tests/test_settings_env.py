"""The strict environment readers: a typo stops start-up instead of picking a default."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from fleetmaint.env import env_bool, env_int, env_list, env_str

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("raw", ["true", "TRUE", " True ", "1", "yes", "on"])
def test_it_reads_the_spellings_of_true(monkeypatch, raw):
    monkeypatch.setenv("FM_TEST_FLAG", raw)
    assert env_bool("FM_TEST_FLAG", False) is True


@pytest.mark.parametrize("raw", ["false", "False", "0", "no", "off", " OFF"])
def test_it_reads_the_spellings_of_false(monkeypatch, raw):
    monkeypatch.setenv("FM_TEST_FLAG", raw)
    assert env_bool("FM_TEST_FLAG", True) is False


@pytest.mark.parametrize("default", [True, False])
def test_it_uses_the_default_for_a_missing_or_empty_boolean(monkeypatch, default):
    monkeypatch.delenv("FM_TEST_FLAG", raising=False)
    assert env_bool("FM_TEST_FLAG", default) is default
    monkeypatch.setenv("FM_TEST_FLAG", "")
    assert env_bool("FM_TEST_FLAG", default) is default


@pytest.mark.parametrize("raw", ["ture", "flase", "2", "enabled", "y"])
def test_it_refuses_a_boolean_that_is_neither_true_nor_false(monkeypatch, raw):
    monkeypatch.setenv("FM_TEST_FLAG", raw)
    with pytest.raises(ImproperlyConfigured) as excinfo:
        env_bool("FM_TEST_FLAG", False)
    assert "FM_TEST_FLAG" in str(excinfo.value)
    assert repr(raw) in str(excinfo.value)


def test_it_reads_a_whole_number(monkeypatch):
    monkeypatch.setenv("FM_TEST_NUMBER", "42")
    assert env_int("FM_TEST_NUMBER", 7) == 42
    monkeypatch.setenv("FM_TEST_NUMBER", "-3")
    assert env_int("FM_TEST_NUMBER", 7) == -3


def test_it_uses_the_default_for_a_missing_or_empty_number(monkeypatch):
    monkeypatch.delenv("FM_TEST_NUMBER", raising=False)
    assert env_int("FM_TEST_NUMBER", 7) == 7
    monkeypatch.setenv("FM_TEST_NUMBER", "")
    assert env_int("FM_TEST_NUMBER", 7) == 7


@pytest.mark.parametrize("raw", ["ten", "1.5", "60s", "0x10"])
def test_it_refuses_a_number_that_is_not_whole(monkeypatch, raw):
    monkeypatch.setenv("FM_TEST_NUMBER", raw)
    with pytest.raises(ImproperlyConfigured) as excinfo:
        env_int("FM_TEST_NUMBER", 7)
    assert "FM_TEST_NUMBER must be a whole number" in str(excinfo.value)
    assert repr(raw) in str(excinfo.value)


def test_it_treats_an_empty_string_as_missing(monkeypatch):
    monkeypatch.setenv("FM_TEST_TEXT", "")
    assert env_str("FM_TEST_TEXT", "fallback") == "fallback"
    monkeypatch.setenv("FM_TEST_TEXT", "value")
    assert env_str("FM_TEST_TEXT", "fallback") == "value"


def test_it_splits_a_list_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("FM_TEST_LIST", " a.example , b.example,, ")
    assert env_list("FM_TEST_LIST", ["default"]) == ["a.example", "b.example"]
    monkeypatch.setenv("FM_TEST_LIST", "  ")
    assert env_list("FM_TEST_LIST", ["default"]) == ["default"]


def _import_settings(**overrides: str) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY"}
    }
    env.update(overrides)
    return subprocess.run(
        [sys.executable, "-c", "import fleetmaint.settings"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_typo_in_debug_stops_the_settings_from_loading():
    result = _import_settings(DEBUG="ture", SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "DEBUG must be true or false, not 'ture'" in result.stderr


def test_the_settings_refuse_to_load_without_a_secret_key_outside_debug():
    result = _import_settings(DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr

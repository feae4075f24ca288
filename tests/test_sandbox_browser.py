"""The sandbox in a real browser, as a newcomer uses it: `python -m bot` with no Slack token,
Debian's chromium through chromedriver (no browser download at test time).

One journey, one browser, one sandbox process, so the suite stays light on a small machine:
pick a student, request a mentor, accept as the mentor, check in, reply in the thread, jump to
the next prompt and see it, fill the check-in modal, read the messages by role.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.config import SLACK_SETTINGS

# conftest skips these where chromium is missing (and fails them when ROUNDS_REQUIRE_BROWSER=1).
pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
WAIT_SECONDS = 30  # generous: the machine is shared; a wait ends as soon as the page is right
STUDENT, MENTOR = "U0MAYA", "U0HART"

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
from selenium.common.exceptions import (  # noqa: E402
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
)
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def sandbox_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m bot` in an empty folder with no Slack settings: it must choose the sandbox."""
    folder = tmp_path_factory.mktemp("fresh-clone")
    port = _free_port()
    # Empty rather than absent, so a developer's own .env (which never overrides the
    # environment) cannot turn this into a run against real Slack.
    env = {**os.environ, **dict.fromkeys(SLACK_SETTINGS, "")}
    env.update(PORT=str(port), PYTHONUNBUFFERED="1")
    log = (folder / "stderr.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    assert process.stdout is not None
    first: list[str] = []
    reader = threading.Thread(target=lambda: first.append(process.stdout.readline()))  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout=90)
    try:
        url = f"http://127.0.0.1:{port}/"
        assert first and url in first[0], (
            f"no start line; stderr: {Path(log.name).read_text()[-2000:]}"
        )
        assert "to connect real Slack" in first[0]
        assert (folder / "sandbox.db").exists()
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        status = process.wait(timeout=20)
        log.close()
    assert status == 0, Path(log.name).read_text()[-2000:]


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,900",
    ):
        options.add_argument(argument)
    service = webdriver.ChromeService(executable_path=str(CHROMEDRIVER))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def until(driver: WebDriver, condition: Callable[[WebDriver], object]) -> object:
    """Wait for a condition on a page that may reload itself when something new arrives;
    on time-out, say what the page showed."""
    try:
        return WebDriverWait(
            driver,
            WAIT_SECONDS,
            poll_frequency=0.2,
            ignored_exceptions=(StaleElementReferenceException, NoSuchElementException),
        ).until(condition)
    except TimeoutException:
        shown = driver.find_element(By.TAG_NAME, "body").text
        raise AssertionError(
            f"waited {WAIT_SECONDS} s at {driver.current_url}; it shows:\n{shown}"
        ) from None


def timeline_has(text: str) -> Callable[[WebDriver], bool]:
    return lambda d: text in d.find_element(By.ID, "timeline").text


def act_as(driver: WebDriver, user: str) -> None:
    Select(driver.find_element(By.ID, "whoami")).select_by_value(user)
    until(driver, lambda d: f"/u/{user}/" in d.current_url)


def type_into(driver: WebDriver, by: str, selector: str, text: str, *, send: bool = False) -> None:
    """Type into a field (and press Enter), starting again if the page reloaded meanwhile."""

    def typed(d: WebDriver) -> bool:
        box = d.find_element(by, selector)
        box.clear()
        box.send_keys(text)
        if box.get_attribute("value") != text:
            return False
        if send:
            box.send_keys(Keys.ENTER)
        return True

    until(driver, typed)


def say(driver: WebDriver, text: str) -> None:
    type_into(driver, By.ID, "composer", text, send=True)


def click(driver: WebDriver, by: str, selector: str) -> None:
    until(driver, lambda d: d.find_element(by, selector).click() or True)


def open_space(driver: WebDriver) -> None:
    click(driver, By.CSS_SELECTOR, "a.space")
    until(driver, lambda d: "/c/G" in d.current_url)


def test_a_newcomer_pairs_checks_in_and_sees_a_prompt_after_a_clock_jump(
    sandbox_url: str, browser: WebDriver
) -> None:
    driver = browser
    driver.get(sandbox_url)
    act_as(driver, STUDENT)
    say(driver, "/mentor request @hart Could we talk about research careers?")
    until(driver, timeline_has("Your request went to @Dr. Amelia Hart"))

    act_as(driver, MENTOR)
    until(driver, timeline_has("would like you to be their mentor"))
    click(driver, By.XPATH, "//button[normalize-space()='Accept']")
    until(driver, timeline_has("You accepted @Maya Chen"))

    act_as(driver, STUDENT)
    open_space(driver)
    until(driver, timeline_has("This is your check-in space"))
    say(driver, "/checkin I read the paper you sent and have two questions")
    until(driver, timeline_has("Check-in from @Maya Chen"))

    act_as(driver, MENTOR)
    open_space(driver)
    post = "//article[contains(., 'Check-in from')]"
    click(driver, By.XPATH, f"{post}//summary")
    type_into(driver, By.XPATH, f"{post}//input[@name='text']", "Good questions. Thursday?")
    click(driver, By.XPATH, f"{post}//button[normalize-space()='Reply']")
    until(driver, lambda d: d.find_element(By.CSS_SELECTOR, ".reply[data-author='U0HART']"))
    until(driver, lambda d: "📝 1" in d.find_element(By.CSS_SELECTOR, ".reply .reactions").text)

    clock_before = driver.find_element(By.ID, "clock-now").text
    for _ in range(4):  # the gratitude reminder may come first, then the prompt
        click(driver, By.ID, "next-nudge")
        until(driver, lambda d: d.find_element(By.CLASS_NAME, "notice"))
        if "Time to check in" in driver.find_element(By.ID, "timeline").text:
            break
    until(driver, timeline_has("Time to check in"))
    assert driver.find_element(By.ID, "clock-now").text != clock_before
    prompt = "//article[contains(., 'Time to check in')]"
    assert driver.find_element(By.XPATH, f"{prompt}//button[normalize-space()='Snooze a week']")

    act_as(driver, STUDENT)
    open_space(driver)
    click(driver, By.XPATH, f"{prompt}//button[normalize-space()='Log a check-in']")
    type_into(driver, By.NAME, "f:mind:value", "Shadowed a night shift; questions on residency.")
    click(driver, By.ID, "modal-submit")
    until(driver, lambda d: not d.find_elements(By.ID, "modal"))
    until(driver, timeline_has("Shadowed a night shift"))

    click(driver, By.ID, "nav-messages")
    until(driver, lambda d: "Time to check in" in d.find_element(By.ID, "role-spaces").text)

"""Scenarios of the whole path against the fake GitHub on 127.0.0.1: real httpx, a real SQLite
file, the real engine and dispatcher, time driven by a fake clock."""

from __future__ import annotations

from collections.abc import Callable

from bot.app import App
from bot.clock import FakeClock
from tests.fakes.upstream import FakeGitHub

MakeApp = Callable[..., App]


def org_config(github: FakeGitHub, *, extra: str = "", full_every: int = 1) -> str:
    return f"""
[endpoints]
github = "{github.url}"
[watches.org]
kind = "github_org"
org = "deepseek-ai"
full_every = {full_every}
{extra}
[notifiers.stdout]
kind = "console"
"""


def seed(github: FakeGitHub, n: int = 3) -> None:
    github.add_org("deepseek-ai")
    for i in range(n):
        github.add_repo("deepseek-ai", f"repo-{i}", description=f"repo {i}")


def kinds(app: App) -> list[str]:
    return [e.kind for e in reversed(app.store.events(limit=100))]


async def test_first_poll_is_baseline_and_posts_nothing(github: FakeGitHub, make_app: MakeApp) -> None:
    seed(github)
    app = make_app(org_config(github))
    result = await app.engine.poll("org")
    assert result.ok and result.baseline and result.events == []
    assert kinds(app) == []
    assert app.health().watches[0].records == 3


async def test_new_repo_posts_exactly_one_message(github: FakeGitHub, make_app: MakeApp,
                                                  capsys) -> None:  # type: ignore[no-untyped-def]
    seed(github)
    app = make_app(org_config(github))
    await app.engine.poll("org")
    github.add_repo("deepseek-ai", "DeepSeek-V4", description="DeepSeek-V4 technical report")
    result = await app.engine.poll("org")
    assert [e.kind for e in result.events] == ["github.repo_created"]
    await app.dispatcher.deliver_due()
    out = capsys.readouterr().out
    assert out.count("New repository deepseek-ai/DeepSeek-V4") == 1
    await app.engine.poll("org")
    await app.dispatcher.deliver_due()
    assert "DeepSeek-V4" not in capsys.readouterr().out


async def test_restart_does_not_repost(github: FakeGitHub, make_app: MakeApp) -> None:
    seed(github)
    app = make_app(org_config(github))
    await app.engine.poll("org")
    github.add_repo("deepseek-ai", "DeepSeek-V4")
    await app.engine.poll("org")
    await app.dispatcher.deliver_due()
    app.store.close()
    again = make_app(org_config(github))
    result = await again.engine.poll("org")
    assert result.ok and result.events == []
    assert kinds(again) == ["github.repo_created"]
    assert again.dispatcher.pending_count() == 0


async def test_replaying_the_same_transition_stores_it_once(github: FakeGitHub,
                                                            make_app: MakeApp) -> None:
    seed(github)
    app = make_app(org_config(github))
    await app.engine.poll("org")
    github.update_repo("deepseek-ai", "repo-0", description="new words")
    first = await app.engine.poll("org", dry_run=True)
    stored = await app.engine.poll("org")
    assert [e.dedup_key for e in first.events] == [e.dedup_key for e in stored.events]
    assert app.store.commit_poll.__self__ is app.store  # the same store replays below
    from bot.store import PollOutcome
    now = app.clock.now()
    replay = app.store.commit_poll(PollOutcome("org", now, now, ok=True), upserts={},
                                   events=stored.events, route=lambda e: ["stdout"],
                                   validators=None)
    assert replay == [] and kinds(app) == ["github.repo_changed"]


async def test_value_that_flips_back_and_changes_again_posts_three_times(
        github: FakeGitHub, make_app: MakeApp) -> None:
    seed(github)
    app = make_app(org_config(github))
    await app.engine.poll("org")
    for description in ("V4 soon", "repo 0", "V4 soon"):
        github.update_repo("deepseek-ai", "repo-0", description=description)
        await app.engine.poll("org")
    assert kinds(app) == ["github.repo_changed"] * 3
    assert app.dispatcher.pending_count() == 3


async def test_partial_fetch_removes_nothing(github: FakeGitHub, make_app: MakeApp) -> None:
    seed(github, 5)
    app = make_app(org_config(github, full_every=12))
    await app.engine.poll("org")  # baseline is a full listing
    github.remove_repo("deepseek-ai", "repo-0")
    for _ in range(3):
        result = await app.engine.poll("org")
        assert result.ok and result.events == []
    assert app.health().watches[0].records == 5


async def test_removed_repo_is_reported_after_two_complete_listings(
        github: FakeGitHub, make_app: MakeApp) -> None:
    seed(github, 5)
    app = make_app(org_config(github))
    await app.engine.poll("org")
    github.remove_repo("deepseek-ai", "repo-0")
    assert (await app.engine.poll("org")).events == []
    assert [e.kind for e in (await app.engine.poll("org")).events] == ["github.repo_deleted"]


async def test_shrink_is_held_then_accepted_after_confirm_polls(
        github: FakeGitHub, make_app: MakeApp) -> None:
    seed(github, 6)
    app = make_app(org_config(github))
    await app.engine.poll("org")
    for name in ("repo-0", "repo-1", "repo-2", "repo-3"):
        github.remove_repo("deepseek-ai", name)
    for _ in range(2):
        held = await app.engine.poll("org")
        assert held.held and held.error == "shrink held (6 → 2 records)" and held.events == []
    status = app.health().watches[0]
    assert status.records == 6 and status.last_error == "shrink held (6 → 2 records)"
    accepted = await app.engine.poll("org")
    assert accepted.ok and [e.kind for e in accepted.events] == ["github.repo_deleted"] * 4
    assert app.health().watches[0].records == 2


async def test_list_that_shrinks_to_nothing_is_held_and_posts_no_deleted_storm(
        github: FakeGitHub, make_app: MakeApp) -> None:
    seed(github, 3)
    app = make_app(org_config(github, extra="confirm_polls = 5"))
    await app.engine.poll("org")
    for i in range(3):
        github.remove_repo("deepseek-ai", f"repo-{i}")
    for _ in range(4):
        result = await app.engine.poll("org")
        assert result.held and result.error == "shrink held (3 → 0 records)"
    assert kinds(app) == ["health.watch_failing"]  # one alert, no "deleted" storm
    github.add_repo("deepseek-ai", "repo-back")  # the upstream recovers: the hold is dropped
    result = await app.engine.poll("org")
    assert result.ok
    assert kinds(app) == ["health.watch_failing", "github.repo_created", "health.watch_recovered"]


async def test_upstream_500_is_a_failed_poll_with_reason_then_recovery(
        github: FakeGitHub, make_app: MakeApp) -> None:
    seed(github)
    app = make_app(org_config(github))
    await app.engine.poll("org")
    github.fail_next(3, status=500)  # the first try and both retries
    result = await app.engine.poll("org")
    assert not result.ok and result.error and "HTTP 500" in result.error
    status = app.health().watches[0]
    assert status.failures_in_a_row == 1 and "HTTP 500" in (status.last_error or "")
    assert status.records == 3 and kinds(app) == []
    assert (await app.engine.poll("org")).ok
    status = app.health().watches[0]
    assert status.ok and status.last_error is None


async def test_transient_500_is_retried_within_the_poll(github: FakeGitHub, make_app: MakeApp,
                                                         clock: FakeClock) -> None:
    seed(github)
    app = make_app(org_config(github))
    github.fail_next(1, status=502)
    assert (await app.engine.poll("org")).ok
    assert clock.slept == [1.0]


async def test_second_unchanged_poll_is_all_304s(github: FakeGitHub, make_app: MakeApp) -> None:
    seed(github)
    app = make_app(org_config(github))
    await app.engine.poll("org")
    github.clear_requests()
    assert (await app.engine.poll("org")).ok
    statuses = [r.status for r in github.requests]
    assert statuses and set(statuses) == {304}


async def test_exhausted_rate_limit_waits_until_reset_and_sends_nothing_meanwhile(
        github: FakeGitHub, make_app: MakeApp, clock: FakeClock) -> None:
    seed(github)
    app = make_app(org_config(github))
    await app.engine.poll("org")
    reset = int(clock.now().timestamp()) + 1800
    github.exhaust_rate_limit(reset)
    limited = await app.engine.poll("org")
    assert not limited.ok and limited.error and "rate limited" in limited.error
    assert "until" in limited.error
    github.clear_requests()
    clock.advance(600)
    again = await app.engine.poll("org")
    assert not again.ok and "rate limited" in (again.error or "")
    assert github.requests == []
    github.reset_rate_limit()
    clock.advance(1201)
    assert (await app.engine.poll("org")).ok
    assert len(github.requests) == 1


async def test_unknown_org_is_a_failed_poll_naming_the_404(github: FakeGitHub,
                                                           make_app: MakeApp) -> None:
    app = make_app(org_config(github))
    result = await app.engine.poll("org")
    assert not result.ok and "HTTP 404" in (result.error or "") and "Not Found" in result.error


async def test_github_token_is_sent_as_bearer_and_never_stored(github: FakeGitHub,
                                                               make_app: MakeApp) -> None:
    from tests.conftest import TEST_TOKEN
    seed(github)
    app = make_app(org_config(github), environ={"RW_GITHUB_TOKEN": TEST_TOKEN})
    await app.engine.poll("org")
    sent = github.requests[-1].headers
    assert sent["authorization"] == f"Bearer {TEST_TOKEN}"
    assert sent["accept"] == "application/vnd.github+json"
    assert sent["x-github-api-version"] == "2022-11-28"
    assert sent["user-agent"].startswith("releasewatch/")
    dump = "\n".join(app.store.db.iterdump())
    assert TEST_TOKEN not in dump


def releases_config(github: FakeGitHub) -> str:
    return f"""
[endpoints]
github = "{github.url}"
[watches.rel]
kind = "github_releases"
repo = "deepseek-ai/DeepEP"
include_tags = true
[notifiers.stdout]
kind = "console"
"""


async def test_releases_tags_and_drafts(github: FakeGitHub, make_app: MakeApp) -> None:
    github.add_org("deepseek-ai")
    github.add_repo("deepseek-ai", "DeepEP")
    github.add_release("deepseek-ai/DeepEP", "v1.0")
    app = make_app(releases_config(github))
    assert (await app.engine.poll("rel")).baseline
    github.add_release("deepseek-ai/DeepEP", "v1.1-rc1", prerelease=True)
    github.add_release("deepseek-ai/DeepEP", "v2.0", draft=True)
    github.add_tag("deepseek-ai/DeepEP", "nightly-1")
    result = await app.engine.poll("rel")
    assert sorted(e.kind for e in result.events) == ["github.prerelease_published",
                                                     "github.tag_created"]


async def test_release_watch_on_a_repo_not_created_yet(github: FakeGitHub,
                                                       make_app: MakeApp) -> None:
    github.add_org("deepseek-ai")
    app = make_app(releases_config(github))
    result = await app.engine.poll("rel")
    assert result.ok
    assert "not found" in (app.health().watches[0].note or "")


async def test_held_poll_keeps_no_validators_so_the_next_poll_rereads(
        github: FakeGitHub, make_app: MakeApp) -> None:
    seed(github, 3)
    app = make_app(org_config(github, full_every=12))
    await app.engine.poll("org")
    for i in range(3):
        github.remove_repo("deepseek-ai", f"repo-{i}")
    assert (await app.engine.poll("org")).held
    github.clear_requests()
    second = await app.engine.poll("org")
    assert second.held and second.error == "shrink held (3 → 0 records)"
    assert [r.status for r in github.requests] == [200]


async def test_a_full_disk_is_a_failed_poll_with_its_reason_and_nothing_half_written(
        github: FakeGitHub, make_app: MakeApp) -> None:
    seed(github)
    app = make_app(org_config(github))
    await app.engine.poll("org")
    github.add_repo("deepseek-ai", "DeepSeek-V4", description="x" * 50_000)
    pages = app.store.db.execute("PRAGMA page_count").fetchone()[0]
    app.store.db.execute(f"PRAGMA max_page_count = {pages}")  # no room to grow
    result = await app.engine.poll("org")
    assert not result.ok and result.error and result.error.startswith("storage: ")
    assert kinds(app) == [] and app.health().watch("org").records == 3  # type: ignore[union-attr]
    app.store.db.execute("PRAGMA max_page_count = 1073741823")  # space returns
    assert [e.kind for e in (await app.engine.poll("org")).events] == ["github.repo_created"]


async def test_a_body_of_the_wrong_types_is_a_failed_poll_not_a_crash(
        github: FakeGitHub, make_app: MakeApp) -> None:
    seed(github)
    app = make_app(org_config(github))
    await app.engine.poll("org")
    github.add_repo("deepseek-ai", "weird", full_name=["not", "a", "string"])
    result = await app.engine.poll("org")
    assert not result.ok and "not a list of repositories" in (result.error or "")
    assert kinds(app) == []


async def test_changed_options_ask_afresh_instead_of_trusting_old_validators(
        github: FakeGitHub, make_app: MakeApp, write_config) -> None:  # type: ignore[no-untyped-def]
    seed(github)
    app = make_app(org_config(github, full_every=12))
    await app.engine.poll("org")
    await app.engine.poll("org")
    assert github.requests[-1].status == 304
    app.store.close()
    narrowed = make_app(org_config(github, extra='match = "repo-1"', full_every=12))
    github.clear_requests()
    await narrowed.engine.poll("org")
    assert [r.status for r in github.requests] == [200]


async def test_an_answer_of_an_unexpected_shape_is_a_failed_poll_saying_so(
        github: FakeGitHub, make_app: MakeApp) -> None:
    github.add_org("deepseek-ai")
    github.add_repo("deepseek-ai", "DeepEP")
    app = make_app(f'[endpoints]\ngithub = "{github.url}"\n[watches.rel]\nkind = "github_releases"\n'
                   'repo = "deepseek-ai/DeepEP"\n[notifiers.stdout]\nkind = "console"\n')
    github.fail_next(1, status=200, path_contains="/releases",  # an asset without a name
                     body=[{"id": 1, "tag_name": "v1.0", "assets": [{"size": 5}]}])
    result = await app.engine.poll("rel")
    assert not result.ok and (result.error or "").startswith("unexpected answer from upstream")

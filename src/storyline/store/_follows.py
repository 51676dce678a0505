"""Follows and alerts: what a user follows, and what changed there since they last looked.

A user is known by the SHA-256 of a random token (tokens are 192-bit random strings, so a
plain digest is enough; no one can guess a token from a copy of the database). A follow
keeps what its target looked like at the last scan (``FollowRow.state``); :meth:`Follows.scan`
compares that with what the store holds now and records each change as an alert:

- a **story**: new reports, new outlets, new differences between sources, a figure given a
  new value, the story merged into another (the follow moves with it);
- a **query**: new articles whose title or body holds every word (the full-text index);
- an **outlet**: new articles from it.

Scanning compares stored briefs, so it can run after every update (the server does) or
whenever someone looks (``storyline alerts list``): changes between two scans are never
lost, only folded together. Each follow is scanned in one write transaction, so two scans
at once cannot record a change twice. Storylines (chains of stories) do not exist yet, so
they cannot be followed.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ._errors import StoreError
from ._schema import AlertRow, ArticleRow, BriefRow, FollowRow, StoryMemberRow, StoryRow, UserRow
from ._search import SearchQuery, search, search_words

__all__ = ["FOLLOW_KINDS", "Alert", "Change", "Follow", "FollowError", "Follows", "User",
           "hash_token", "story_changes", "story_snapshot"]

FOLLOW_KINDS = ("story", "query", "outlet")
MAX_ALERTS_PER_SCAN = 50  # per follow: a flood of matches is cut, with a note saying so


class FollowError(StoreError):
    """A follow that cannot be made: unknown kind, no such story, a bad webhook URL."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class User:
    pk: int
    name: str


@dataclass(frozen=True, slots=True)
class Follow:
    """One followed thing; ``unseen`` counts its alerts not marked seen."""

    pk: int
    user: int
    kind: str
    target: str
    created: datetime
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    unseen: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.pk, "kind": self.kind, "target": self.target,
                "created": self.created.isoformat(), "webhook": self.webhook_url,
                "unseen": self.unseen}


@dataclass(frozen=True, slots=True)
class Alert:
    pk: int
    follow: int
    kind: str
    title: str
    story: str | None
    article: str | None
    detail: dict[str, Any]
    created: datetime
    seen: datetime | None
    delivered: datetime | None = None
    attempts: int = 0
    last_error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.pk, "follow": self.follow, "kind": self.kind, "title": self.title,
                "story": self.story, "article": self.article, "detail": self.detail,
                "created": self.created.isoformat(),
                "seen": self.seen.isoformat() if self.seen else None}


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between two snapshots of a story, before it becomes an alert."""

    kind: str  # new-report, new-outlet, new-difference, figure-updated, story-moved
    title: str
    article: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------- story snapshots


def _values(claims: Iterable[Any]) -> list[str]:
    return sorted({str(c.get("text") or c.get("value")) for c in claims if isinstance(c, dict)})


def story_snapshot(brief: dict[str, Any]) -> dict[str, Any]:
    """What a story's alerts compare: its articles, outlets, differences and figures (no
    texts, so a snapshot stays small)."""
    articles = [a for a in brief.get("articles") or [] if isinstance(a, dict) and "id" in a]
    differences: dict[str, dict[str, Any]] = {}
    for d in brief.get("discrepancies") or []:
        if not isinstance(d, dict):
            continue
        key = str(d.get("subject") or "figure").casefold()
        entry = differences.setdefault(key, {"subject": d.get("subject") or "figure",
                                             "kind": d.get("kind"), "values": [],
                                             "explanation": d.get("explanation") or ""})
        entry["values"] = sorted(set(entry["values"]) | set(_values(d.get("claims") or [])))
    figures: dict[str, list[str]] = {}
    for f in brief.get("facts") or []:
        if isinstance(f, dict) and f.get("subject"):
            key = f"{f.get('kind')}|{str(f['subject']).casefold()}|{f.get('unit') or ''}"
            figures[key] = sorted(set(figures.get(key, [])) | set(_values([f])))
    return {
        "headline": brief.get("headline") or "",
        "articles": {a["id"]: {"title": a.get("title") or "", "source": a.get("source"),
                               "relation": a.get("relation") or "original"} for a in articles},
        "outlets": sorted({a["source"] for a in articles if a.get("source")}),
        "differences": differences,
        "figures": figures,
    }


def story_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """What is new in snapshot ``new`` against ``old``: reports, outlets, differences,
    and figures that were given another value (a difference's or a fact's)."""
    out: list[Change] = []
    old_articles = old.get("articles") or {}
    for aid, a in (new.get("articles") or {}).items():
        if aid in old_articles:
            continue
        relation = a.get("relation") or "original"
        label = "New report" if relation == "original" else f"New report ({relation})"
        source = f" ({a['source']})" if a.get("source") else ""
        out.append(Change("new-report", f"{label}: {a.get('title') or aid}{source}", aid,
                          {"source": a.get("source"), "relation": relation}))
    known = set(old.get("outlets") or [])
    out += [Change("new-outlet", f"New outlet: {s}", None, {"source": s})
            for s in new.get("outlets") or [] if s not in known]
    old_diffs = old.get("differences") or {}
    updated: set[str] = set()
    for key, d in (new.get("differences") or {}).items():
        before = old_diffs.get(key)
        values = ", ".join(d["values"])
        if before is None:
            out.append(Change("new-difference",
                              f"New difference: {d['subject']} ({d.get('kind')}): {values}",
                              None, dict(d)))
        elif set(d["values"]) - set(before.get("values") or []):
            updated.add(key)
            out.append(Change("figure-updated", f"Figure updated: {d['subject']}: "
                              f"{', '.join(before.get('values') or [])} → {values}", None,
                              {"subject": d["subject"], "before": before.get("values") or [],
                               "after": d["values"]}))
    old_figures = old.get("figures") or {}
    differed = updated | set(new.get("differences") or {})  # said once, as a difference
    for key, values in (new.get("figures") or {}).items():
        before = old_figures.get(key)
        subject = key.split("|")[1]
        if before is None or subject in differed or not set(values) - set(before):
            continue
        out.append(Change("figure-updated", f"Figure updated: {subject}: {', '.join(before)} "
                          f"→ {', '.join(values)}", None,
                          {"subject": subject, "before": before, "after": values}))
    return out


# ---------------------------------------------------------------------- the book


def _follow(row: FollowRow, unseen: int = 0) -> Follow:
    return Follow(row.pk, row.user_pk, row.kind, row.target, row.created, row.webhook_url,
                  row.webhook_secret, unseen)


def _alert(row: AlertRow) -> Alert:
    return Alert(row.pk, row.follow_pk, row.kind, row.title, row.story, row.article,
                 dict(row.detail or {}), row.created, row.seen, row.delivered, row.attempts,
                 row.last_error)


def _check_webhook(url: str | None) -> str | None:
    if url is None or not url.strip():
        return None
    url = url.strip()
    if not url.startswith(("https://", "http://")) or len(url) > 2000:
        raise FollowError(f"webhook must be an http(s) URL: {url[:100]!r}")
    return url


class Follows:
    """Users, follows and alerts in a :class:`~storyline.store.Store`'s database."""

    def __init__(self, store: Any) -> None:
        self.store = store

    # -- users ----------------------------------------------------------------------
    def add_user(self, name: str) -> tuple[User, str]:
        """A new user and their token (shown once: only its hash is kept)."""
        token = secrets.token_urlsafe(24)
        name = name.strip() or "user"

        def work(s: Session) -> User:
            row = UserRow(name=name, token_hash=hash_token(token), created=_now())
            s.add(row)
            s.flush()
            return User(row.pk, row.name)

        return self.store._write(work), token

    def user(self, token: str | None) -> User | None:
        """The user a token belongs to, or None."""
        if not token:
            return None
        with self.store._reading() as s:
            row = s.scalar(select(UserRow).where(UserRow.token_hash == hash_token(token)))
            return User(row.pk, row.name) if row is not None else None

    # -- follows --------------------------------------------------------------------
    def follow(self, user: User, kind: str, target: str, *, webhook_url: str | None = None
               ) -> Follow:
        """Follow a story (by id), a query (words) or an outlet (by name), from now on:
        only what changes after this call is an alert. Following again returns the same
        follow (with the webhook given, if any)."""
        if kind not in FOLLOW_KINDS:
            raise FollowError(f"cannot follow a {kind!r}: expected one of "
                              + ", ".join(FOLLOW_KINDS))
        target = " ".join(target.split())
        if not target:
            raise FollowError(f"a {kind} follow needs a target")
        if kind == "query" and not search_words(target):
            raise FollowError(f"query {target!r} has no words to search for")
        webhook = _check_webhook(webhook_url)

        def work(s: Session) -> Follow:
            row = s.scalar(select(FollowRow).where(FollowRow.user_pk == user.pk,
                                                   FollowRow.kind == kind,
                                                   FollowRow.target == target))
            if row is None:
                state = self._baseline(s, kind, target)
                row = FollowRow(user_pk=user.pk, kind=kind, target=target, created=_now(),
                                state=state)
                s.add(row)
            if webhook is not None and row.webhook_url != webhook:
                row.webhook_url = webhook
                row.webhook_secret = secrets.token_hex(32)
            s.flush()
            return _follow(row)

        return self.store._write(work)

    def set_webhook(self, user: User, follow_pk: int, url: str | None) -> Follow | None:
        """Give a follow a webhook (a new signing secret) or, with None, remove it."""
        webhook = _check_webhook(url)

        def work(s: Session) -> Follow | None:
            row = s.get(FollowRow, follow_pk)
            if row is None or row.user_pk != user.pk:
                return None
            row.webhook_url = webhook
            row.webhook_secret = secrets.token_hex(32) if webhook else None
            return _follow(row)

        return self.store._write(work)

    def unfollow(self, user: User, follow_pk: int) -> bool:
        def work(s: Session) -> bool:
            row = s.get(FollowRow, follow_pk)
            if row is None or row.user_pk != user.pk:
                return False
            s.delete(row)
            return True

        return self.store._write(work)

    def follows(self, user: User) -> list[Follow]:
        with self.store._reading() as s:
            unseen: dict[int, int] = {fp: n for fp, n in s.execute(
                select(AlertRow.follow_pk, func.count(AlertRow.pk))
                .where(AlertRow.user_pk == user.pk, AlertRow.seen.is_(None))
                .group_by(AlertRow.follow_pk))}
            rows = s.scalars(select(FollowRow).where(FollowRow.user_pk == user.pk)
                             .order_by(FollowRow.pk))
            return [_follow(r, unseen.get(r.pk, 0)) for r in rows]

    def get(self, user: User, follow_pk: int) -> Follow | None:
        return next((f for f in self.follows(user) if f.pk == follow_pk), None)

    # -- alerts ---------------------------------------------------------------------
    def alerts(self, user: User, *, follow: int | None = None, unseen: bool = False,
               limit: int = 100) -> list[Alert]:
        """A user's alerts, newest first."""
        query = select(AlertRow).where(AlertRow.user_pk == user.pk)
        if follow is not None:
            query = query.where(AlertRow.follow_pk == follow)
        if unseen:
            query = query.where(AlertRow.seen.is_(None))
        with self.store._reading() as s:
            return [_alert(r) for r in s.scalars(query.order_by(AlertRow.pk.desc())
                                                 .limit(limit))]

    def mark_seen(self, user: User, ids: Iterable[int] | None = None, *,
                  follow: int | None = None) -> int:
        """Mark alerts seen (all of the user's, or these ids, or one follow's); how many."""
        query = update(AlertRow).where(AlertRow.user_pk == user.pk, AlertRow.seen.is_(None))
        if ids is not None:
            query = query.where(AlertRow.pk.in_(list(ids)))
        if follow is not None:
            query = query.where(AlertRow.follow_pk == follow)
        return int(self.store._write(
            lambda s: s.execute(query.values(seen=_now())).rowcount or 0))

    # -- scanning -------------------------------------------------------------------
    def scan(self) -> list[Alert]:
        """Compare every follow with what is stored now; record and return the new alerts."""
        with self.store._reading() as s:
            pks = list(s.scalars(select(FollowRow.pk).order_by(FollowRow.pk)))
        out: list[Alert] = []
        for pk in pks:
            out += self.store._write(lambda s, pk=pk: self._scan_one(s, pk))
        return out

    def _baseline(self, s: Session, kind: str, target: str) -> dict[str, Any]:
        if kind != "story":
            return {"seq": _last_version(s)}
        found = _brief(s, target)
        if found is None:
            raise FollowError(f"no such story: {target}")
        return {"brief": found[0], "snapshot": story_snapshot(found[1])}

    def _scan_one(self, s: Session, pk: int) -> list[Alert]:
        row = s.scalar(select(FollowRow).where(FollowRow.pk == pk).with_for_update())
        if row is None:
            return []
        state = dict(row.state or {})
        changes: list[tuple[Change, str | None]] = []
        if row.kind == "story":
            changes = self._scan_story(s, row, state)
            if row in s.deleted:
                return []
        else:
            seq = _last_version(s)
            if seq > int(state.get("seq", 0)):
                changes = self._scan_new(s, row, int(state.get("seq", 0)))
                state["seq"] = seq
        if not changes and state == row.state:
            return []
        row.state = state
        now = _now()
        rows = [AlertRow(follow_pk=row.pk, user_pk=row.user_pk, kind=c.kind, title=c.title,
                         story=story, article=c.article, detail=c.detail, created=now,
                         attempts=0) for c, story in changes]
        s.add_all(rows)
        s.flush()
        return [_alert(r) for r in rows]

    @staticmethod
    def _scan_story(s: Session, row: FollowRow, state: dict[str, Any]
                    ) -> list[tuple[Change, str | None]]:
        old = state.get("snapshot") or {}
        found = _brief(s, row.target)
        moved: list[tuple[Change, str | None]] = []
        if found is None:  # merged into another story, or split: follow the articles
            successor = _successor(s, list(old.get("articles") or {}))
            if successor is None or _brief(s, successor) is None:
                return []
            if s.scalar(select(FollowRow.pk).where(
                    FollowRow.user_pk == row.user_pk, FollowRow.kind == "story",
                    FollowRow.target == successor)) is not None:
                s.delete(row)  # the user already follows the story it merged into
                return []
            moved = [(Change("story-moved", f"Story merged into {successor}",
                             None, {"from": row.target, "to": successor}), successor)]
            row.target = successor
            found = _brief(s, successor)
            assert found is not None
        brief_key, brief = found
        if brief_key == state.get("brief") and not moved:
            return []
        new = story_snapshot(brief)
        state["brief"], state["snapshot"] = brief_key, new
        return moved + [(c, row.target) for c in story_changes(old, new)]

    @staticmethod
    def _scan_new(s: Session, row: FollowRow, seq: int) -> list[tuple[Change, str | None]]:
        """Articles first stored after ``seq`` that match a followed query or outlet."""
        hits: list[tuple[str, str, str | None]] = []
        if row.kind == "query":
            found = search(s, SearchQuery(row.target, new_after=seq, sort="newest",
                                          limit=MAX_ALERTS_PER_SCAN + 1))
            hits = [(h.id, h.title, h.source) for h in found]
            label = f"New report matching “{row.target}”"
        else:
            q = SearchQuery("", source=row.target, new_after=seq)
            from ._search import _filters

            hits = [(r[0], r[1], r[2]) for r in s.execute(
                select(ArticleRow.id, ArticleRow.title, ArticleRow.source)
                .where(*_filters(q)).order_by(ArticleRow.pk.desc())
                .limit(MAX_ALERTS_PER_SCAN + 1))]
            label = f"New report from {row.target}"
        out: list[tuple[Change, str | None]] = []
        for aid, title, source in hits[:MAX_ALERTS_PER_SCAN]:
            where = f" ({source})" if source and row.kind == "query" else ""
            out.append((Change("new-report", f"{label}: {title or aid}{where}", aid,
                               {"source": source}), _story_of(s, aid)))
        if len(hits) > MAX_ALERTS_PER_SCAN:
            out.append((Change("more", f"{label}: more than {MAX_ALERTS_PER_SCAN} new "
                               "reports; only the newest are listed", None, {}), None))
        return out

    # -- webhook bookkeeping -------------------------------------------------------
    def undelivered(self, *, max_attempts: int, limit: int = 100) -> list[tuple[Alert, Follow]]:
        """Alerts of follows with a webhook, not delivered yet and not given up on."""
        with self.store._reading() as s:
            rows = s.execute(
                select(AlertRow, FollowRow).join(FollowRow, FollowRow.pk == AlertRow.follow_pk)
                .where(FollowRow.webhook_url.is_not(None), AlertRow.delivered.is_(None),
                       AlertRow.attempts < max_attempts)
                .order_by(AlertRow.pk).limit(limit)).tuples()
            return [(_alert(a), _follow(f)) for a, f in rows]

    def record_delivery(self, alert_pk: int, *, ok: bool, attempts: int,
                        error: str | None = None) -> None:
        values: dict[str, Any] = {"attempts": AlertRow.attempts + attempts,
                                  "last_error": None if ok else (error or "")[:500]}
        if ok:
            values["delivered"] = _now()
        self.store._write(lambda s: s.execute(
            update(AlertRow).where(AlertRow.pk == alert_pk).values(**values)))


def _last_version(s: Session) -> int:
    from ._schema import VersionRow

    return int(s.scalar(select(func.max(VersionRow.pk))) or 0)


def _brief(s: Session, story: str) -> tuple[str, dict[str, Any]] | None:
    """A story's brief and a key that changes whenever it is saved again (a pk alone
    does not: SQLite hands a deleted row's pk to the next insert)."""
    row = s.execute(select(BriefRow.pk, BriefRow.saved, BriefRow.data)
                    .where(BriefRow.story == story)).first()
    return (f"{row[0]}@{row[1].isoformat()}", dict(row[2])) if row is not None else None


def _story_of(s: Session, article_id: str) -> str | None:
    return s.scalar(select(StoryRow.id).join(StoryRow.members)
                    .where(StoryMemberRow.article_id == article_id)
                    .order_by(StoryRow.pk.desc()).limit(1))


def _successor(s: Session, article_ids: list[str]) -> str | None:
    """The story that now holds most of a vanished story's articles."""
    if not article_ids:
        return None
    rows = s.execute(select(StoryMemberRow.story_id, func.count())
                     .where(StoryMemberRow.article_id.in_(article_ids))
                     .group_by(StoryMemberRow.story_id)
                     .order_by(func.count().desc(), StoryMemberRow.story_id).limit(1)).first()
    return str(rows[0]) if rows is not None else None

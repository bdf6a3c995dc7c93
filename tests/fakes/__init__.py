"""Loopback fakes of the services releasewatch talks to, shared by tests and bench/."""

from .chat_sink import ChatSink, Post
from .server import Held, RecordedRequest, ThreadedServer
from .upstream import FakeGitHub, FakeUpstream

__all__ = [
    "ChatSink",
    "FakeGitHub",
    "FakeUpstream",
    "Held",
    "Post",
    "RecordedRequest",
    "ThreadedServer",
]

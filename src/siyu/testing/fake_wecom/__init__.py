"""A fake WeCom: an HTTP server speaking the subset of WeCom's API Siyu uses, with WeCom's
validation, limits and errcodes, and fault switches (slow answers, 5xx, -1, 45009, 45033,
expired and invalid tokens, missing permission, untrusted IP). ``WeComChannel`` is tested
over real HTTP against it; benches and the setup checker's tests use it too. Media uploads
(multipart) issue media ids that sends must name (40007 otherwise), and ``host_file`` keeps the
brand's files that materials point at, served at ``/files/<name>``.
"""

from siyu.adapters.channels.sandbox.acquisition import complete_transfers
from siyu.adapters.channels.sandbox.corp import Corp, Faults
from siyu.adapters.channels.sandbox.media import host_file
from siyu.adapters.channels.sandbox.moments import moment_of_job, publish_moment
from siyu.testing.fake_wecom.callbacks import event_xml, sealed, url_check
from siyu.testing.fake_wecom.server import FakeWeCom

__all__ = ["Corp", "FakeWeCom", "Faults", "complete_transfers", "event_xml", "host_file", "moment_of_job", "publish_moment", "sealed", "url_check"]

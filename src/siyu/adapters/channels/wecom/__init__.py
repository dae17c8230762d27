"""WeCom (企业微信): the HTTP client, the channel over it, the callback crypto, the errcodes."""

from siyu.adapters.channels.wecom.channel import WeComChannel
from siyu.adapters.channels.wecom.client import RetryPolicy, TokenCache, WeComClient, WeComConnection

__all__ = ["RetryPolicy", "TokenCache", "WeComChannel", "WeComClient", "WeComConnection"]

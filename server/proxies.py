"""Which reverse proxies to believe about the client's address and scheme (`WIJKSTEM_TRUSTED_PROXIES`).

Behind nginx or Caddy every request comes from the proxy's address, so without this every client shared one
rate-limit bucket. The setting lists the proxies' addresses or networks (``127.0.0.1,::1`` or
``10.0.0.0/8``), not a number of hops: a request whose peer is not in the list keeps its own address, and
whatever `X-Forwarded-For` it sends is ignored, so a client that reaches the server directly cannot pose as
someone else. For a trusted peer, `X-Forwarded-For` is read from the right, skipping the addresses of further
trusted proxies, and the first address that is not one of them is the client (nginx's
`real_ip_recursive on`); werkzeug's `ProxyFix` then applies that many hops, with `X-Forwarded-Proto`,
`-Host` and `-Port` of the nearest proxy.
"""

from functools import lru_cache
from ipaddress import ip_address, ip_network

from werkzeug.middleware.proxy_fix import ProxyFix


def parse_networks(setting) -> tuple:
    """``"127.0.0.1, 10.0.0.0/8"`` (or a list) as networks; an empty setting trusts no proxy."""
    items = setting.split(",") if isinstance(setting, str) else list(setting or ())
    return tuple(ip_network(item.strip(), strict=False) for item in items if item.strip())


class TrustedProxies:
    """WSGI middleware: `ProxyFix` for requests that come from a trusted proxy, nothing for the others."""

    def __init__(self, app, networks: tuple):
        self.app, self.networks = app, networks

    def trusted(self, address: str) -> bool:
        try:
            address = ip_address(address.strip())
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def hops(self, environ) -> int:
        """How many entries of `X-Forwarded-For` to go back: the peer's, then one per further trusted proxy."""
        forwarded = [a for a in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        hops = 1
        while hops < len(forwarded) and self.trusted(forwarded[-hops]):
            hops += 1
        return hops

    def __call__(self, environ, start_response):
        if not self.trusted(environ.get("REMOTE_ADDR", "")):
            return self.app(environ, start_response)
        return proxy_fix(self.app, self.hops(environ))(environ, start_response)


@lru_cache(maxsize=16)
def proxy_fix(app, hops: int) -> ProxyFix:
    return ProxyFix(app, x_for=hops, x_proto=1, x_host=1, x_port=1)


def trust_proxies(app) -> None:
    """Wrap the app's WSGI callable when `TRUSTED_PROXIES` names any proxy."""
    networks = parse_networks(app.config["TRUSTED_PROXIES"])
    if networks:
        app.wsgi_app = TrustedProxies(app.wsgi_app, networks)

"""WSGI entry point for the app server behind the edge: `gunicorn service.wsgi:app`.

gunicorn listens on a unix socket only nginx reaches (`service/run.py`), and nginx sets
X-Forwarded-For to the client's address, so the app trusts exactly that one hop for
`request.remote_addr` (werkzeug's ProxyFix). Served directly on a TCP port, this entry
point would let any client choose its address: serve `service:create_app()` instead.
"""

from werkzeug.middleware.proxy_fix import ProxyFix

from service import create_app

app = create_app()
app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=0, x_host=0, x_port=0, x_prefix=0)

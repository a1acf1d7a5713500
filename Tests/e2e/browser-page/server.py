#!/usr/bin/env python3
"""The web side of Tests/e2e/browsers.sh: serves the camera page and writes what the browsers send (stdlib only).

    server.py OUTDIR

Listens on 127.0.0.1 (a secure context, so getUserMedia is allowed) on a free port, which it writes to
OUTDIR/port once it accepts connections. Each page has a tag (its query's `tag`):
    GET  /            the page (camera.html)
    GET  /cmd?tag=T   the command the test left for T in OUTDIR/T.cmd (JSON; {} when none)
    POST /event?tag=T a JSON object from the page; appended as one line, with the server's clock as "server_time",
                      to OUTDIR/T.events
    POST /frame?tag=T&name=N&width=W&height=H
                      a frame as raw RGBA (W*H*4 bytes), written to OUTDIR/T.N.rgba (atomically: a reader never
                      sees half a frame), then recorded in OUTDIR/T.events as {"frame": N, "width": W, ...}
A POST's answer is the tag's command too, so a page that sends frames needs no second request to be told to stop.
"""
import http.server
import json
import os
import re
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = sys.argv[1] if len(sys.argv) == 2 else sys.exit(__doc__.strip().splitlines()[2].strip())
SAFE = re.compile(r'^[A-Za-z0-9_.-]{1,64}$')


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):  # one line per request on stderr, with the time
        sys.stderr.write('%.3f %s\n' % (time.time(), fmt % args))

    def reply(self, status, body, kind='application/json'):
        self.send_response(status)
        self.send_header('Content-Type', kind)
        self.send_header('Content-Length', str(len(body)))
        self.send_header('Cache-Control', 'no-store')
        self.end_headers()
        self.wfile.write(body)

    def query(self):
        url = urllib.parse.urlsplit(self.path)
        return url.path, {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}

    def order(self, tag):
        try:
            with open(os.path.join(OUT, tag + '.cmd'), 'rb') as f:
                return f.read() or b'{}'
        except FileNotFoundError:
            return b'{}'

    def record(self, tag, event):
        event['server_time'] = time.time()
        with open(os.path.join(OUT, tag + '.events'), 'a') as f:
            f.write(json.dumps(event) + '\n')

    def do_GET(self):
        path, q = self.query()
        if path in ('/', '/camera.html'):
            with open(os.path.join(HERE, 'camera.html'), 'rb') as f:
                self.reply(200, f.read(), 'text/html; charset=utf-8')
        elif path == '/cmd' and SAFE.match(q.get('tag', '')):
            self.reply(200, self.order(q['tag']))
        elif path == '/favicon.ico':
            self.reply(204, b'')
        else:
            self.reply(404, b'{}')

    def do_POST(self):
        path, q = self.query()
        tag = q.get('tag', '')
        length = int(self.headers.get('Content-Length', '0'))
        body = self.rfile.read(length)
        if not SAFE.match(tag):
            self.reply(400, b'{}')
            return
        if path == '/event':
            try:
                event = json.loads(body)
            except ValueError:
                event = {'bad_event': body[:200].decode('utf-8', 'replace')}
            self.record(tag, event if isinstance(event, dict) else {'event': event})
        elif path == '/frame' and SAFE.match(q.get('name', '')):
            width, height = int(q.get('width', '0')), int(q.get('height', '0'))
            name = os.path.join(OUT, '%s.%s.rgba' % (tag, q['name']))
            with open(name + '.part', 'wb') as f:
                f.write(body)
            os.replace(name + '.part', name)
            event = {k: v for k, v in q.items() if k not in ('tag', 'width', 'height')}
            event.update(frame=q['name'], width=width, height=height, bytes=len(body))
            self.record(tag, event)
        else:
            self.reply(404, b'{}')
            return
        self.reply(200, self.order(tag))


def main():
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    with open(os.path.join(OUT, 'port.part'), 'w') as f:
        f.write('%d\n' % server.server_address[1])
    os.replace(os.path.join(OUT, 'port.part'), os.path.join(OUT, 'port'))
    server.serve_forever()


if __name__ == '__main__':
    main()

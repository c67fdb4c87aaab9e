"""A misbehaving server for tests of what Steward does when a peer is broken.

  /usr/bin/python3 bad_peer.py garbage <dir>
  /usr/bin/python3 bad_peer.py tls <dir> <cert.pem> <key.pem>

garbage: sends bytes that are not HTTP (nor SMTP) at once, and hangs up.
tls:     a TLS server with the given (self-signed) certificate; a client that
         verifies certificates refuses it during the handshake. A client that
         does not verify gets "HTTP/1.1 200 OK".

Binds an ephemeral port on 127.0.0.1 and writes it to <dir>/port
(atomically); appends one line to <dir>/connections per accepted connection,
so a test can tell that the client really came.
"""
import os
import socket
import ssl
import sys
import threading


def main():
    mode, directory = sys.argv[1], sys.argv[2]
    context = None
    if mode == "tls":
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[3], sys.argv[4])
    elif mode != "garbage":
        sys.exit("unknown mode " + mode)

    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    tmp = os.path.join(directory, "port.tmp")
    with open(tmp, "w") as f:
        f.write("%d\n" % server.getsockname()[1])
    os.rename(tmp, os.path.join(directory, "port"))

    lock = threading.Lock()

    def serve(conn):
        with lock, open(os.path.join(directory, "connections"), "a") as f:
            f.write("1\n")
        try:
            conn.settimeout(10)
            if context is not None:
                conn = context.wrap_socket(conn, server_side=True)
            if mode == "garbage":
                # At once, so that protocols where the server speaks first
                # (SMTP) get it too; then whatever the client says, and close.
                conn.sendall(b"\x00\x01\x02 this is not HTTP \xff\xfe\r\n\r\n")
                conn.settimeout(0.2)  # an SMTP client may wait for more
                conn.recv(65536)
            else:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                             b"Connection: close\r\n\r\nok")
        except (OSError, ssl.SSLError):
            pass  # the client gave up: that is the point
        finally:
            conn.close()

    while True:
        conn, _ = server.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()

//! The listener `relais serve` accepts connections on. hyper answers a request it cannot
//! read (an address longer than 65,534 bytes, headers too large, a malformed request line)
//! itself, before the app sees it, with a status and an empty body. Every other error of the
//! API is an RFC 9457 problem; so are these: the connection rewrites hyper's bare answer into
//! one. hyper closes the connection after such an answer, so nothing follows it.
use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

pub struct ProblemListener(pub TcpListener);

/// The client's address, as the handlers get it (`ConnectInfo<ClientAddr>`): the sign-in
/// throttle counts by address.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub SocketAddr);

impl Connected<IncomingStream<'_, ProblemListener>> for ClientAddr {
    fn connect_info(stream: IncomingStream<'_, ProblemListener>) -> Self {
        ClientAddr(*stream.remote_addr())
    }
}

impl Listener for ProblemListener {
    type Io = ProblemIo;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (ProblemIo, SocketAddr) {
        let (stream, addr) = Listener::accept(&mut self.0).await;
        (
            ProblemIo {
                inner: stream,
                pending: None,
            },
            addr,
        )
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

/// A connection whose writes pass through, except hyper's own bare error answers.
pub struct ProblemIo {
    inner: TcpStream,
    /// The problem answer being written in place of hyper's, and how much of it is written.
    pending: Option<(Vec<u8>, usize)>,
}

impl AsyncRead for ProblemIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for ProblemIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.pending.is_none()
            && let Some(answer) = problem_for(buf)
        {
            self.pending = Some((answer, 0));
        }
        let this = &mut *self;
        if let Some((answer, written)) = &mut this.pending {
            while *written < answer.len() {
                let n = ready!(Pin::new(&mut this.inner).poll_write(cx, &answer[*written..]))?;
                if n == 0 {
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                *written += n;
            }
            this.pending = None;
            // hyper's answer counts as written: it was, as a problem.
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The problem answer for a write that is hyper's own bare error answer: its whole head in
/// one write, a 4xx or 5xx status, `connection: close` and no body, nothing else. The app's
/// answers always carry a content type, so they never look like this.
fn problem_for(buf: &[u8]) -> Option<Vec<u8>> {
    let head = std::str::from_utf8(buf).ok()?;
    let rest = head.strip_prefix("HTTP/1.1 ")?;
    if head.len() > 256 || !head.ends_with("\r\n\r\n") {
        return None;
    }
    let mut lines = rest.split("\r\n");
    let status_line = lines.next()?;
    let (code, _) = status_line.split_once(' ')?;
    let status: u16 = code.parse().ok()?;
    let headers: Vec<&str> = lines.filter(|l| !l.is_empty()).collect();
    let bare = headers.iter().all(|h| {
        let name = h.split(':').next().unwrap_or_default();
        ["connection", "content-length", "date"].contains(&name)
    });
    if !(400..600).contains(&status)
        || !bare
        || !headers.contains(&"connection: close")
        || !headers.contains(&"content-length: 0")
    {
        return None;
    }
    let (slug, title, detail) = match status {
        414 => (
            "uri-too-long",
            "Address too long",
            "the address (with its query) is longer than the server reads: 65,534 bytes",
        ),
        431 => (
            "headers-too-large",
            "Headers too large",
            "the request's headers are larger than the server reads",
        ),
        _ => (
            "malformed-request",
            "Malformed request",
            "the request is not well-formed HTTP",
        ),
    };
    let body = serde_json::json!({
        "type": format!("/problems/{slug}"),
        "title": title,
        "status": status,
        "detail": detail,
    })
    .to_string();
    Some(
        format!(
            "HTTP/1.1 {status_line}\r\ncontent-type: application/problem+json\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::problem_for;

    #[test]
    fn hyper_bare_answers_become_problems_and_the_app_answers_pass() {
        let bare = b"HTTP/1.1 414 URI Too Long\r\nconnection: close\r\ncontent-length: 0\r\ndate: Tue, 01 Dec 2026 11:28:33 GMT\r\n\r\n";
        let answer = String::from_utf8(problem_for(bare).unwrap()).unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 414 URI Too Long\r\n"),
            "{answer}"
        );
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(head.contains("content-type: application/problem+json"));
        assert!(head.contains(&format!("content-length: {}", body.len())));
        let p: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(p["status"], 414);
        assert_eq!(p["type"], "/problems/uri-too-long");

        let app = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/problem+json\r\nconnection: close\r\ncontent-length: 0\r\n\r\n";
        assert!(problem_for(app).is_none());
        let ok = b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 0\r\n\r\n";
        assert!(problem_for(ok).is_none());
        assert!(problem_for(b"HTTP/1.1 414 URI Too Long\r\nconnection: close\r\n").is_none());
        assert!(problem_for("HTTP/1.1 4é".as_bytes()).is_none());
    }
}

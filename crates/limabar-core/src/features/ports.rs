//! What a forwarded port is for the user: `localhost:PORT`, whether it answers HTTP, and
//! opening it in the browser (the platform's opener, argv only).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::features::terminal::Platform;

/// How long a port has to answer before it counts as not speaking HTTP.
const HTTP_CHECK: Duration = Duration::from_millis(500);

/// The page "Open in browser" opens.
pub fn url(host_port: u16) -> String {
    format!("http://localhost:{host_port}/")
}

/// The opener's argv: `open URL` on macOS, `xdg-open URL` on Linux.
pub fn browser_argv(platform: Platform, url: &str) -> Vec<String> {
    let opener = match platform {
        Platform::MacOs => "open",
        Platform::Linux => "xdg-open",
    };
    vec![opener.to_string(), url.to_string()]
}

/// Whether something answers HTTP on 127.0.0.1:`port`: `HEAD / HTTP/1.0` and a reply
/// that starts with `HTTP/`, within half a second. Asked when the popover shows ports,
/// never on a timer.
pub async fn answers_http(port: u16) -> bool {
    let check = async {
        let mut conn = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
        conn.write_all(b"HEAD / HTTP/1.0\r\nHost: localhost\r\n\r\n")
            .await?;
        let mut head = [0u8; 5];
        conn.read_exact(&mut head).await?;
        Ok::<bool, std::io::Error>(&head == b"HTTP/")
    };
    matches!(tokio::time::timeout(HTTP_CHECK, check).await, Ok(Ok(true)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browser_gets_the_url_as_one_argument() {
        assert_eq!(
            browser_argv(Platform::Linux, &url(8080)),
            ["xdg-open", "http://localhost:8080/"]
        );
        assert_eq!(browser_argv(Platform::MacOs, &url(3000))[0], "open");
    }

    #[tokio::test]
    async fn only_a_port_that_answers_http_counts() {
        use tokio::net::TcpListener;
        let http = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let http_port = http.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (mut c, _) = http.accept().await.unwrap();
            let mut buf = [0u8; 64];
            let _ = c.read(&mut buf).await;
            c.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await.unwrap();
        });
        let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let silent_port = silent.local_addr().unwrap().port();
        // Accepts and says nothing (a database, an ssh server waiting for the client).
        tokio::spawn(async move {
            let (_c, _) = silent.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(5)).await;
        });
        assert!(answers_http(http_port).await);
        assert!(!answers_http(silent_port).await);
        // Nothing listening at all.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let closed_port = closed.local_addr().unwrap().port();
        drop(closed);
        assert!(!answers_http(closed_port).await);
    }
}

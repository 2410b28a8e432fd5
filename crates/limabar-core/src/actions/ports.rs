//! A running VM's forwarded ports, as the user uses them: which answer HTTP (asked when
//! the popover shows them), and opening one in the browser.

use super::Session;
use crate::error::{CoreError, Result};
use crate::features::ports::{answers_http, browser_argv, url};
use crate::features::terminal::{self, Platform};
use crate::live::ports::PortState;

impl Session {
    /// The host ports of `name`'s forwards that answer HTTP, checked together now.
    pub async fn http_ports(&self, name: &str) -> Result<Vec<u16>> {
        let v = self.view(name).await?;
        let ports: Vec<u16> = v
            .ports
            .iter()
            .filter(|p| p.state == PortState::Forwarding && p.protocol == "tcp")
            .filter_map(|p| p.host_port())
            .collect();
        // All at once: each waits at most half a second.
        let checks: Vec<_> = ports
            .iter()
            .map(|p| tokio::spawn(answers_http(*p)))
            .collect();
        let mut answering = Vec::new();
        for (port, check) in ports.into_iter().zip(checks) {
            if check.await.unwrap_or(false) {
                answering.push(port);
            }
        }
        Ok(answering)
    }

    /// Opens `http://localhost:PORT/` in the browser, for a port `name` forwards now.
    pub async fn open_port(&self, name: &str, host_port: u16) -> Result<String> {
        let v = self.view(name).await?;
        let forwarded = v
            .ports
            .iter()
            .any(|p| p.state == PortState::Forwarding && p.host_port() == Some(host_port));
        if !forwarded {
            return Err(CoreError::invalid(format!(
                "{name} does not forward localhost:{host_port} (any more)"
            )));
        }
        let page = url(host_port);
        let argv = browser_argv(Platform::current(), &page);
        let log = self.env.data_dir.join("browser/opener.log");
        terminal::spawn_detached("the browser", &argv, &log, || {}).await?;
        tracing::info!(instance = name, url = %page, "opened in the browser");
        Ok(page)
    }
}

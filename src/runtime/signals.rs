//! Signals become flags the threads poll: SIGINT/SIGTERM stop, SIGHUP reopens the log.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[derive(Debug, Default)]
pub struct Signals {
    pub stop: Arc<AtomicBool>,
    pub reopen: Arc<AtomicBool>,
}

impl Signals {
    /// Registers SIGINT and SIGTERM (stop) and SIGHUP (reopen). A second SIGINT/SIGTERM
    /// while shutting down exits at once, as users expect of Ctrl-C pressed twice.
    pub fn install() -> std::io::Result<Arc<Signals>> {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        use signal_hook::flag;
        let s = Arc::new(Signals::default());
        for sig in [SIGINT, SIGTERM] {
            flag::register_conditional_shutdown(sig, 130, Arc::clone(&s.stop))?;
            flag::register(sig, Arc::clone(&s.stop))?;
        }
        flag::register(SIGHUP, Arc::clone(&s.reopen))?;
        Ok(s)
    }

    pub fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// True once per SIGHUP.
    pub fn take_reopen(&self) -> bool {
        self.reopen.swap(false, Ordering::Relaxed)
    }
}

//! From a URL and options to a running supervisor: which transport, and what it is made with.

use std::rc::Rc;

use crate::supervisor::{Policy, Settings, Supervisor};
use crate::support::{error_message, is_supported};
use crate::transport::native::Native;
use crate::transport::Transport as Carrier;
use crate::url::resolve_url;
use crate::{Error, EventSourceOptions, Transport};

/// Opens a source: its transport, then its supervisor (whose first attempt starts at once).
pub(crate) fn open(url: &str, options: &EventSourceOptions) -> Result<Rc<Supervisor>, Error> {
    let policy = policy(options);
    let carrier = if uses_fetch(options)? {
        fetch_transport(url, options)?
    } else {
        Carrier::Native(Rc::new(native_transport(
            url,
            options,
            policy.is_managed(),
        )?))
    };
    let supervisor = Supervisor::start(
        carrier,
        Settings {
            policy,
            last_event_id: options.last_event_id.clone(),
            #[cfg(feature = "fetch")]
            idle_timeout_ms: options.idle_timeout.map(crate::retry::timer_ms),
            close_on: options.close_on.clone(),
        },
    );
    #[cfg(feature = "reconnect")]
    {
        let triggers = crate::supervisor::Triggers {
            online: options.reconnect_on_online,
            hidden: options.pause_when_hidden,
            pageshow: options.reopen_on_pageshow,
        };
        if triggers.online || triggers.hidden || triggers.pageshow {
            supervisor.watch_lifecycle(triggers);
        }
    }
    Ok(supervisor)
}

#[cfg(feature = "reconnect")]
fn policy(options: &EventSourceOptions) -> Policy {
    Policy::with_retry(options.effective_retry(), options.should_retry.clone())
}

#[cfg(not(feature = "reconnect"))]
fn policy(_options: &EventSourceOptions) -> Policy {
    Policy::browser()
}

/// Whether the source uses the fetch transport: asked for, needed by an option, or (with
/// `Auto`) where there is no `EventSource`.
fn uses_fetch(options: &EventSourceOptions) -> Result<bool, Error> {
    Ok(match options.transport {
        Transport::Fetch if !cfg!(feature = "fetch") => {
            return Err(Error::InvalidOptions(
                "the fetch transport is not compiled in: enable the crate's `fetch` feature".into(),
            ))
        }
        Transport::Fetch => true,
        Transport::Auto => options.needs_fetch() || (cfg!(feature = "fetch") && !is_supported()),
        Transport::EventSource => {
            if let Some(option) = options.fetch_only_option() {
                let mut message = "the browser's EventSource cannot honour the `".to_owned();
                message.push_str(option);
                message.push_str(
                    "` option (it cannot send headers, a body, another method or other \
                     credentials, nor use another fetch or an idle timeout): use transport \
                     'fetch' or 'auto'",
                );
                return Err(Error::InvalidOptions(message));
            }
            false
        }
    })
}

fn absolute(url: &str) -> Result<String, Error> {
    resolve_url(url).map_err(|message| Error::InvalidUrl {
        url: url.to_owned(),
        message,
    })
}

#[cfg(feature = "fetch")]
fn fetch_transport(url: &str, options: &EventSourceOptions) -> Result<Carrier, Error> {
    use crate::transport::fetch::{Fetch, Request};
    if !cfg!(target_arch = "wasm32") {
        return Err(Error::Unsupported);
    }
    let has_fetch = options.fetch.is_some()
        || js_sys::Reflect::get(&js_sys::global(), &"fetch".into())
            .is_ok_and(|fetch| fetch.is_function());
    if !has_fetch {
        return Err(Error::Unsupported);
    }
    let request = Request::new(absolute(url)?, options)?;
    Ok(Carrier::Fetch(Rc::new(Fetch::new(request))))
}

#[cfg(not(feature = "fetch"))]
fn fetch_transport(_url: &str, _options: &EventSourceOptions) -> Result<Carrier, Error> {
    Err(Error::Unsupported)
}

fn native_transport(
    url: &str,
    options: &EventSourceOptions,
    managed: bool,
) -> Result<Native, Error> {
    if !is_supported() {
        return Err(Error::Unsupported);
    }
    let param = options
        .last_event_id_param
        .clone()
        .unwrap_or_else(|| "lastEventId".to_owned());
    // The browser's EventSource cannot send a Last-Event-ID header: a seeded ID goes in the
    // query.
    let seed_id = options.last_event_id.as_deref();
    Native::open(
        absolute(url)?,
        options.with_credentials,
        param,
        seed_id,
        managed,
    )
    .map_err(|error| {
        let message = error_message(&error);
        let is_syntax = js_sys::Reflect::get(&error, &"name".into())
            .ok()
            .and_then(|name| name.as_string())
            .is_some_and(|name| name == "SyntaxError");
        if is_syntax {
            Error::InvalidUrl {
                url: url.to_owned(),
                message,
            }
        } else {
            Error::Browser(message)
        }
    })
}

//! `POST /chat`: LLM-style token streaming that resumes by `GET` without re-sending the
//! request. This module holds the replies: their text ([`tokens`]), generation and replay
//! buffer ([`reply`]), and the bounded store ([`store`]).

pub mod reply;
pub mod store;
pub mod tokens;

pub use reply::Reply;
pub use store::{ChatLimits, Replies};

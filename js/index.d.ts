// The package's types, for every entry (`eventsource-wasm`, `eventsource-wasm/inline`): the
// API generated from the Rust source, and init()/initSync() of the JS entries.
export * from './eventsource_wasm.js';
export * from './init.js';
export { default } from './init.js';

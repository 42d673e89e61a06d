// Declarations of the package entries' init() and initSync() (js/index.js, js/inline.js,
// node.mjs), written for the lib a user has: ES2022 with DOM, with WebWorker, or with
// @types/node. The rest of the API is declared by eventsource_wasm.d.ts, generated from the
// Rust source.

declare global {
    // The generated classes have `[Symbol.dispose]()` (for `using`); `lib` settings older than
    // ES2024/ESNext do not declare the symbol. Declared as TypeScript's own lib and @types/node
    // declare it, so it merges with either.
    interface SymbolConstructor {
        readonly dispose: unique symbol;
    }
    // Named below; TypeScript declares the namespace only with DOM or WebWorker (not for Node.js).
    namespace WebAssembly {
        interface Module {}
        interface Memory {}
    }
}

/** What `init()` accepts: where to load the `.wasm` from, or the module itself. */
export type InitInput = string | URL | Request | Response | ArrayBuffer | ArrayBufferView | WebAssembly.Module;

/** What `init()` and `initSync()` return: the instantiated module's exports (its memory, for measuring). */
export interface InitOutput {
    readonly memory: WebAssembly.Memory;
}

/**
 * Loads and instantiates the WebAssembly module; call (and await) it before anything else but
 * `isSupported()`. Without an argument, the default entry fetches `eventsource_wasm_bg.wasm`
 * next to its module, the `/inline` entry decodes the bytes it carries, and the Node.js entry
 * has done it already. Safe to call many times, also concurrently: every call returns the first
 * call's promise (a failed one may be retried).
 */
export default function init(
    input?: InitInput | Promise<InitInput> | { module_or_path: InitInput | Promise<InitInput> },
): Promise<InitOutput>;

/**
 * Instantiates the module synchronously from its bytes or a compiled `WebAssembly.Module`; the
 * `eventsource-wasm/inline` entry's needs no argument (it has the bytes). For workers, service
 * workers and Node.js: a browser's main thread may refuse to compile a module this large
 * synchronously. Counts as the first `init()`.
 */
export function initSync(module?: ArrayBuffer | ArrayBufferView | WebAssembly.Module | { module: ArrayBuffer | ArrayBufferView | WebAssembly.Module }): InitOutput;

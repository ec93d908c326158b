// A .wasm import, as workerd (and wrangler's CompiledWasm rule) provide it: the compiled module.
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}

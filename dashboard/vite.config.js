// The dashboard is served by the indexer from one origin: relative asset paths, and every
// asset bundled (nothing is fetched from the internet at run time). The client package
// (clients/ts) is compiled from its sources with one copy of the Solana libraries: the
// dashboard's, so a key or a transaction built by the client is the adapter's own class.
export default {
  base: "./",
  resolve: { dedupe: ["@solana/web3.js", "@coral-xyz/anchor", "buffer", "bn.js"] },
  build: { outDir: "dist", emptyOutDir: true, assetsInlineLimit: 0, chunkSizeWarningLimit: 2000 },
};

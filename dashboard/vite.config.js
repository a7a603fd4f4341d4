// The dashboard is served by the indexer from one origin: relative asset paths, and every
// asset bundled (nothing is fetched from the internet at run time).
export default {
  base: "./",
  build: { outDir: "dist", emptyOutDir: true, assetsInlineLimit: 0 },
};

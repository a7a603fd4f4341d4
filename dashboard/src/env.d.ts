declare module "topojson-client";
declare module "world-atlas/countries-110m.json";
declare module "*.css";

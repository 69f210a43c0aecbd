/** @type {import('next').NextConfig} */
module.exports = {
  // `node server.js` with only the traced dependencies: the runtime image carries no full node_modules.
  output: "standalone",
};

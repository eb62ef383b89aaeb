// Node-RED settings for the throughput bench's second peer (docs/benchmarks.md): the flow in
// flows.json, no editor and no HTTP endpoints (nothing but the flow runs), logs at info so the
// harness sees "Connected to broker". Started by bench/throughput/procs.ts with --userDir in a
// temporary folder; MQTT_URL, INFLUX_HOST, INFLUX_PORT and INFLUX_DB fill the flow's ${…} fields.
module.exports = {
  flowFile: require('node:path').join(__dirname, 'flows.json'),
  flowFilePretty: true,
  credentialSecret: false,
  httpAdminRoot: false,
  httpNodeRoot: false,
  uiHost: '127.0.0.1',
  uiPort: 0,
  logging: { console: { level: 'info', metrics: false, audit: false } },
  externalModules: { autoInstall: false, palette: { allowInstall: false }, modules: { allowInstall: false } },
  functionExternalModules: false,
};

// The peer of `npm run bench -- throughput` (docs/benchmarks.md): what a team would write instead of
// the hub — subscribe to every telemetry topic on Mosquitto at QoS 1 and write the same points as
// the hub (docs/contract.md §4) with the official client, 5,000 per batch, flushed every second,
// nothing on disk. Usage: node subscriber.mjs MQTT_URL INFLUX_URL DATABASE
import { InfluxDB, Point } from '@influxdata/influxdb-client';
import mqtt from 'mqtt';

const [mqttUrl, influxUrl, db] = process.argv.slice(2);
const influx = new InfluxDB({ url: influxUrl });
// InfluxDB 1.6 has no /api/v2/write: send the client's writes to the 1.x /write endpoint.
const send = influx.transport.send.bind(influx.transport);
influx.transport.send = (path, body, options, callbacks) =>
  send(path.startsWith('/api/v2/write') ? `/write?db=${db}&precision=ms` : path, body, options, callbacks);
const writer = influx.getWriteApi('', db, 'ms', { batchSize: 5000, flushInterval: 1000, maxBufferLines: 1e7 });

const client = mqtt.connect(mqttUrl, { clientId: 'bench-peer', clean: true, reconnectPeriod: 1000 });
client.on('connect', () =>
  client.subscribe('community/v1/+/+/+/telemetry', { qos: 1 }, (err) => {
    if (err) throw err;
    process.stdout.write(`${JSON.stringify({ event: 'subscribed' })}\n`);
  }),
);
client.on('message', (topic, payload) => {
  const [, , site, gateway, device] = topic.split('/');
  const r = JSON.parse(payload.toString('utf8'));
  const ms = Date.parse(r.ts);
  const tags = (p) => p.tag('site', site).tag('gateway', gateway).tag('device', device).tag('building', 'none');
  const health = tags(new Point('device_health')).tag('device_type', 'waste-bin');
  writer.writePoint(
    health.floatField('battery_pct', r.battery).floatField('temperature_c', r.temperature).timestamp(ms),
  );
  for (const c of r.compartments) {
    const level = tags(new Point('bin_level')).tag('category', c.category);
    writer.writePoint(level.floatField('fill_pct', c.fill).floatField('weight_kg', c.weight).timestamp(ms));
  }
});
process.on('SIGTERM', () => writer.close().finally(() => client.end(() => process.exit(0))));

// Baseline for case 6: a bare Fastify route running the same COUNT query as queue-status; no auth, no Nest.
import fastify from 'fastify';
import { Pool } from 'pg';

const pool = new Pool({ connectionString: process.env.BENCH_DATABASE_URL, max: 10 });
const app = fastify({ logger: false });

app.get('/', async () => ({ ok: true }));
app.get('/queue-status', async (request) => {
  const tenant = String(request.headers['x-tenant-id']);
  const device = String(request.headers['x-device-id']);
  const { rows } = await pool.query<{ pending: string; high: string }>(
    `SELECT count(*) AS pending, count(*) FILTER (WHERE priority = 0) AS high
     FROM sync_queue_item
     WHERE tenant_id = $1 AND status = 'pending' AND ($2::text IS NULL OR device_id = $2) AND ($3::text IS NULL OR user_id = $3)`,
    [tenant, device, null],
  );
  const pending = Number(rows[0].pending);
  const high = Number(rows[0].high);
  return { pending_items: pending, high_priority: high, queue_healthy: pending < 100 && high < 20 };
});

app.listen({ port: Number(process.env.BENCH_PORT), host: '127.0.0.1' }).catch((error: unknown) => {
  process.stderr.write(`bare fastify failed: ${String(error)}\n`);
  process.exit(1);
});

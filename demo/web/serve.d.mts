import type { Server } from 'node:http';

/** Starts the demo's static server on 127.0.0.1 (port 0 picks a free one). */
export function startServer(options?: { port?: number; host?: string; quiet?: boolean }): Promise<{ server: Server; url: string }>;

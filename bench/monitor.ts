/**
 * Samples, once a second, what the worker's own samples do not cover: the dev server's CPU and RSS,
 * the benchmark process's CPU, and the whole machine's busy CPU, so that the load of other
 * processes on the machine (other engineers' tests) can be stated next to every number.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { procStats } from './stats';
import type { ResourceSample } from './protocol';

interface MonitorSample {
  at: number;
  serverCpuMs: number;
  serverRssBytes: number;
  parentCpuMs: number;
  /** Busy CPU time of the whole machine (all cores), in ms. */
  machineBusyMs: number;
  loadavg1: number;
}

/** Busy time of all cores since boot, from the first line of /proc/stat, in ms. */
function machineBusyMs(): number {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    return (user + nice + system + irq + softirq + steal) * 10;
  } catch {
    return 0;
  }
}

export interface ResourceSummary {
  /** Mean CPU over the window, in % of one core (200% = both cores of this machine). */
  cpuMeanPct: number | null;
  /** Highest CPU over one sampling interval, % of one core. */
  cpuMaxPct: number | null;
  rssPeakMb: number | null;
  rssMeanMb: number | null;
}

export interface MachineSummary {
  cpus: number;
  /** Mean 1-minute load average during the window. */
  loadavgMean: number | null;
  /** CPU used by everything else on the machine (not the worker, the dev server or the benchmark), in cores. */
  otherProcessesCores: number | null;
  /** CPU of the benchmark process itself (client: starts, describes, signals), in % of one core. */
  benchProcessCpuPct: number | null;
}

const MB = 1024 * 1024;

function cpuPct(points: Array<{ at: number; cpuMs: number }>): { mean: number | null; max: number | null } {
  if (points.length < 2) return { mean: null, max: null };
  const first = points[0]!;
  const last = points[points.length - 1]!;
  let max = 0;
  for (let i = 1; i < points.length; i++) {
    const wall = points[i]!.at - points[i - 1]!.at;
    if (wall > 0) max = Math.max(max, ((points[i]!.cpuMs - points[i - 1]!.cpuMs) / wall) * 100);
  }
  return { mean: last.at > first.at ? ((last.cpuMs - first.cpuMs) / (last.at - first.at)) * 100 : null, max };
}

function rss(points: Array<{ rssBytes: number }>): { peak: number | null; mean: number | null } {
  if (!points.length) return { peak: null, mean: null };
  return { peak: Math.max(...points.map((point) => point.rssBytes)) / MB, mean: points.reduce((sum, point) => sum + point.rssBytes, 0) / points.length / MB };
}

export class Monitor {
  readonly samples: MonitorSample[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly serverPid: number, everyMs = 1000) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  private sample(): void {
    const server = procStats(this.serverPid);
    const { user, system } = process.cpuUsage();
    this.samples.push({
      at: Date.now(),
      serverCpuMs: server?.cpuMs ?? 0,
      serverRssBytes: server?.rssBytes ?? 0,
      parentCpuMs: (user + system) / 1000,
      machineBusyMs: machineBusyMs(),
      loadavg1: os.loadavg()[0]!,
    });
  }

  stop(): void {
    this.sample();
    clearInterval(this.timer);
  }

  /** Samples in [from, to], widened by `margin` ms on both sides (one sample interval by default). */
  private window(from: number, to: number, margin = 1000): MonitorSample[] {
    return this.samples.filter((sample) => sample.at >= from - margin && sample.at <= to + margin);
  }

  server(from: number, to: number, margin = 1000): ResourceSummary {
    const points = this.window(from, to, margin);
    const cpu = cpuPct(points.map((point) => ({ at: point.at, cpuMs: point.serverCpuMs })));
    const memory = rss(points.map((point) => ({ rssBytes: point.serverRssBytes })));
    return { cpuMeanPct: cpu.mean, cpuMaxPct: cpu.max, rssPeakMb: memory.peak, rssMeanMb: memory.mean };
  }

  machine(from: number, to: number, worker: ResourceSample[]): MachineSummary {
    const points = this.window(from, to);
    const cpus = os.cpus().length;
    if (points.length < 2) return { cpus, loadavgMean: null, otherProcessesCores: null, benchProcessCpuPct: null };
    const first = points[0]!;
    const last = points[points.length - 1]!;
    const wall = last.at - first.at;
    const workerPoints = worker.filter((sample) => sample.at >= first.at && sample.at <= last.at);
    const workerCpu = workerPoints.length >= 2 ? workerPoints[workerPoints.length - 1]!.cpuMs - workerPoints[0]!.cpuMs : 0;
    const workerWall = workerPoints.length >= 2 ? workerPoints[workerPoints.length - 1]!.at - workerPoints[0]!.at : 0;
    // Scale the worker's CPU to the monitor's window (their sampling instants differ slightly).
    const workerScaled = workerWall > 0 ? (workerCpu / workerWall) * wall : 0;
    const own = last.serverCpuMs - first.serverCpuMs + (last.parentCpuMs - first.parentCpuMs) + workerScaled;
    return {
      cpus,
      loadavgMean: points.reduce((sum, point) => sum + point.loadavg1, 0) / points.length,
      otherProcessesCores: wall > 0 ? Math.max(0, (last.machineBusyMs - first.machineBusyMs - own) / wall) : null,
      benchProcessCpuPct: wall > 0 ? ((last.parentCpuMs - first.parentCpuMs) / wall) * 100 : null,
    };
  }
}

export function workerResources(samples: ResourceSample[], from: number, to: number, margin = 1000): ResourceSummary & { heapPeakMb: number | null } {
  const points = samples.filter((sample) => sample.at >= from - margin && sample.at <= to + margin);
  const cpu = cpuPct(points);
  const memory = rss(points);
  return {
    cpuMeanPct: cpu.mean,
    cpuMaxPct: cpu.max,
    rssPeakMb: memory.peak,
    rssMeanMb: memory.mean,
    heapPeakMb: points.length ? Math.max(...points.map((point) => point.heapUsedBytes)) / MB : null,
  };
}

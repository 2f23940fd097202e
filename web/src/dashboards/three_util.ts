// Small helpers shared by the three.js views (mesh, projector).
import * as THREE from 'three';

let glAvailable: boolean | null = null;

/**
 * Whether this browser may create a WebGL context: true until a renderer
 * fails to get one. No throwaway context is made to find out, since making
 * a context is the slowest step of a view's start on software renderers.
 */
export function webglAvailable(): boolean {
  if (glAvailable === null) glAvailable = typeof WebGLRenderingContext !== 'undefined';
  return glAvailable;
}

/**
 * A renderer, or null when WebGL is not available. `antialias` asks for a
 * multisampled buffer; views whose shapes smooth their own edges skip it.
 */
export function makeRenderer(canvas: HTMLCanvasElement, antialias = true): THREE.WebGLRenderer | null {
  if (!webglAvailable()) return null;
  try {
    const r = new THREE.WebGLRenderer({ canvas, antialias, alpha: true, preserveDrawingBuffer: true });
    r.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
    r.setClearColor(0x000000, 0);
    return r;
  } catch {
    glAvailable = false;
    return null;
  }
}

export function disposeRenderer(r: THREE.WebGLRenderer | null): void {
  if (!r) return;
  r.dispose();
  r.forceContextLoss();
}

/** Disposes the geometries and materials under `obj`. */
export function disposeObject(obj: THREE.Object3D): void {
  obj.traverse((o) => {
    const m = o as THREE.Mesh;
    if (m.geometry) m.geometry.dispose();
    const mat = m.material as THREE.Material | THREE.Material[] | undefined;
    if (Array.isArray(mat)) mat.forEach((x) => x.dispose());
    else mat?.dispose();
  });
}

/** A CSS variable of the document as a three.js colour. */
export function cssColor(name: string, fallback: string): THREE.Color {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
  try {
    return new THREE.Color(v);
  } catch {
    return new THREE.Color(fallback);
  }
}

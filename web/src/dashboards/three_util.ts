// Small helpers shared by the three.js views (mesh, projector).
import * as THREE from 'three';

let glAvailable: boolean | null = null;

/** Whether this browser can create a WebGL context (checked once). */
export function webglAvailable(): boolean {
  if (glAvailable === null) {
    try {
      const c = document.createElement('canvas');
      const gl = c.getContext('webgl2') || c.getContext('webgl');
      glAvailable = !!gl;
      (gl as WebGLRenderingContext | null)?.getExtension('WEBGL_lose_context')?.loseContext();
    } catch {
      glAvailable = false;
    }
  }
  return glAvailable;
}

/** A renderer, or null when WebGL is not available. */
export function makeRenderer(canvas: HTMLCanvasElement): THREE.WebGLRenderer | null {
  if (!webglAvailable()) return null;
  try {
    const r = new THREE.WebGLRenderer({ canvas, antialias: true, alpha: true, preserveDrawingBuffer: true });
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

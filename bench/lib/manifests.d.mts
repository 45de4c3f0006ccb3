export declare const typicalName: string;
export declare function typicalManifest(root: string): { source: string; text: string };
export declare function generatedManifest(lines?: number): { source: string; text: string; tasks: number };

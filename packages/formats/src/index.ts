// One folder per format; each exports its reader from here.
export {};

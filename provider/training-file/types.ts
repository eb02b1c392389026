/** Types the TrainingFile's generated Args refer to. */
import type { FILE_PURPOSES } from "./schema";

export type FilePurpose = (typeof FILE_PURPOSES)[number];

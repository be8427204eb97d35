/** The line the lab host prints once its server answers: `LAB_READY {"url",…}`. */
export const READY_PREFIX = 'LAB_READY ';

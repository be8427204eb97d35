export async function compareCommand(_args: string[]): Promise<number> {
  throw new Error('pnpm lab compare is being built');
}

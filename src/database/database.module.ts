import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source-options.js';
import { runMigrations } from './migrate.js';

/**
 * The TypeORM connection. Pending migrations are applied while the data source is
 * created, so no provider ever sees an old schema.
 */
@Module({})
export class DatabaseModule {
  static forUrl(url: string): DynamicModule {
    const logger = new Logger('Database');
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ ...dataSourceOptions(url), autoLoadEntities: true }),
          dataSourceFactory: async (options) => {
            const dataSource = await new DataSource(options!).initialize();
            const applied = await runMigrations(dataSource);
            if (applied.length) logger.log(`Applied migrations: ${applied.join(', ')}`);
            return dataSource;
          },
        }),
      ],
    };
  }
}
